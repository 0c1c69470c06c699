from . import plugins
