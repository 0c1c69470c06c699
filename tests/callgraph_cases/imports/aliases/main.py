import util as u
from util import g as h

u.f()
h()
