from keten.kernel.service import main
from keten.registration.app import spec

main(spec())
