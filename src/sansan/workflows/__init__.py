"""Deadlines, reminders, supervision lights and accountability alerts that fire exactly once."""
