"""Step one, photos -> ONE CSV. Never imports TensorFlow, Keras or scikit-learn (a test checks it),
so it installs and runs without them (``pip install dogcat``).

labels -> imagespec -> images -> sources -> dataset -> csvio; sample and download feed it.
"""
