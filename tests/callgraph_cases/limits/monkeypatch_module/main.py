import lib

lib.hello()
import patch

lib.hello()
