def _hidden():
    return "main"


from lib import *

visible()
_hidden()
