"""`keras.datasets`: Keras's dataset loaders (downloaded once, cached, checked)."""

from cornu.datasets import boston_housing, california_housing, fashion_mnist, mnist

__all__ = ["boston_housing", "california_housing", "fashion_mnist", "mnist"]
