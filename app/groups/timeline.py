def attendance_timeline(trajectories, viewer):
    return []


def next_meeting_due(trajectories, viewer):
    return []
