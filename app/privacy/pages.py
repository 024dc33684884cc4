"""The public privacy page for participants: "Wat doen wij met uw gegevens?"."""
