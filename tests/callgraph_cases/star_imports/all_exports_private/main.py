def normal():
    return "main normal"


from lib import *

_special()
normal()
