def run():
    return "main"


from lib import *

run()
