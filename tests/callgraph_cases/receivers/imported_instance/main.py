from lib import service

service.ping()
