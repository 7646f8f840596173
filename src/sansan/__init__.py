"""sansan: an event-sourced workflow service for the 三三创建 campaign."""

__version__ = "0.1.0"
