print("ragserve: not built yet")
