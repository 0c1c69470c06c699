from lib import *

f()
g()
