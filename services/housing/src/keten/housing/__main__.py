from keten.housing.app import spec
from keten.kernel.service import main

main(spec())
