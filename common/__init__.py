"""The shared kernel: domain errors, their HTTP answers, parameter declarations and
authentication. Imports no app of the project."""
