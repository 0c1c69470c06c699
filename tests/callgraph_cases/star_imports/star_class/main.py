from shapes import *

Square(2).area()
