import lib

lib.handler()
