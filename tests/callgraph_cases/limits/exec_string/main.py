def hook():
    return "hook"


exec("hook()", {"hook": hook})
