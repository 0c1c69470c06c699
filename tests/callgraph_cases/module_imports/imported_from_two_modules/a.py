import lib

A = lib.VALUE
