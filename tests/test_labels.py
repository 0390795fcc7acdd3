import pytest

from dogcat_lib.data.labels import label_from_name, label_with_reason


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("cat.123.jpg", 0),
        ("dog.7.jpg", 1),
        ("train/cat.0.jpg", 0),
        ("CAT.5.JPG", 0),
        ("Dog.12.jpeg", 1),
        ("dog.3.png", 1),
        ("cat.100 copy.jpg", 0),
        ("PetImages/Cat/1.jpg", 0),
        ("PetImages/Dog/12499.jpg", 1),
        ("train/dogs/x.jpg", 1),
        ("data/CATS/photo one.webp", 0),
        ("고양이/cat.1.jpg", 0),
        ("Cat/cat.1.jpg", 0),
    ],
)
def test_labelled_names(name, label):
    assert label_from_name(name) == label


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("test1/1.jpg", "unlabelled"),
        ("catalog.jpg", "unlabelled"),
        ("cat.jpg", "unlabelled"),  # no id: not Kaggle's pattern, and never guessed
        ("hotdog.1.jpg", "unlabelled"),
        ("Cat/sub/1.jpg", "unlabelled"),  # only the immediate parent folder labels a photo
        ("Cat/dog.1.jpg", "disagree"),
        ("train/cat.1.txt", "not an image file name"),
        ("dogs-vs-cats.csv", "not an image file name"),
        ("Dog/README", "not an image file name"),
    ],
)
def test_unlabelled_names_give_a_reason(name, reason):
    label, why = label_with_reason(name)
    assert label is None
    assert reason in why
