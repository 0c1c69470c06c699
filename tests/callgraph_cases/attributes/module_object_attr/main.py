import config

config.settings.load()
