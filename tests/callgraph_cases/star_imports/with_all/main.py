def helper():
    return "main helper"


from lib import *

public()
helper()
