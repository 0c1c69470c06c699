from pkg import *

start()
