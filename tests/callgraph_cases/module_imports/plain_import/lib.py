print("lib loaded")
