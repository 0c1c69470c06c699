from a import *

shallow()
deep()
