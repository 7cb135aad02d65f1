"""The engine: Variable, KerasTensor, Operation/Node, Layer, GradientTape."""
