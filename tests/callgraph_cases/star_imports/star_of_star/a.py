from b import *


def shallow():
    return "a"
