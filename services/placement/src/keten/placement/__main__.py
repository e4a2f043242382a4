from keten.kernel.service import main
from keten.placement.app import spec

main(spec())
