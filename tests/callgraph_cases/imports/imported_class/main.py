from models import User

User("ann").shout()
