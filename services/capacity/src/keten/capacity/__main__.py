from keten.capacity.app import spec
from keten.kernel.service import main

main(spec())
