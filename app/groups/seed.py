def seed_group_meetings(ctx):
    pass
