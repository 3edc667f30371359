"""scikit-learn's own estimator checks, over both estimators (issue: sklearn conformance).

Every check applies and none is declared expected-to-fail; the array-API check runs in a
subprocess with ``SCIPY_ARRAY_API=1``, which scipy reads only at import. The neural estimator
runs at the smallest settings (2 epochs, one hidden layer of 8): the checks take under a minute.
"""

import os
import subprocess
import sys
from pathlib import Path

from sklearn.utils.estimator_checks import parametrize_with_checks

from deepclust_lab.kmeans import KMeans
from deepclust_lab.pipeline import DeepClusterer

ESTIMATORS = [
    KMeans(n_clusters=3, random_state=0),
    DeepClusterer(n_clusters=3, method="kmeans"),
    DeepClusterer(n_clusters=3, method="ae-kmeans", preset="fast", epochs=2, hidden=(8,),
                  embedding_dim=2, batch_size=64),
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible(estimator, check, request):
    name = getattr(check, "func", check).__name__
    if name == "check_array_api_input" and os.environ.get("SCIPY_ARRAY_API") != "1":
        # scipy reads SCIPY_ARRAY_API once, at import: run this check where it is set
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=",
             request.node.nodeid], env={**os.environ, "SCIPY_ARRAY_API": "1"},
            cwd=Path(__file__).resolve().parent.parent, capture_output=True, text=True,
            timeout=300)
        assert done.returncode == 0 and " passed" in done.stdout, done.stdout[-3000:]
        return
    check(estimator)


def test_tags_declare_a_dense_clusterer_and_transformer():
    for est in ESTIMATORS:
        tags = est.__sklearn_tags__()
        assert tags.estimator_type == "clusterer"
        assert tags.transformer_tags is not None
        assert not tags.input_tags.sparse and not tags.input_tags.allow_nan


def test_feature_names_out_and_set_output():
    import numpy as np
    import pandas as pd

    X = pd.DataFrame(np.random.default_rng(0).normal(size=(60, 4)), columns=list("abcd"))
    km = KMeans(3, random_state=0).set_output(transform="pandas").fit(X)
    out = km.transform(X)
    assert list(out.columns) == ["kmeans0", "kmeans1", "kmeans2"]
    assert list(km.feature_names_in_) == list("abcd")
    dc = DeepClusterer(3, method="kmeans", random_state=0).fit(X)
    assert list(dc.get_feature_names_out()) == [f"deepclusterer{i}" for i in range(4)]
