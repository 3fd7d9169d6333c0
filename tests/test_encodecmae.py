"""Tests of the native EnCodecMAE implementation and EnCodecMAEFeatures.

Parity is checked against what the authors' own code returned for two small randomly
initialised checkpoints in the published format (``../shared/fixtures/encodecmae`` or the
folder in SKLEARN_MGC_ENCODECMAE_FIXTURES); those tests skip where the fixtures are absent.
Everything else uses tiny random checkpoints built here, so nothing needs the network.
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from sklearn.ensemble import RandomForestClassifier  # noqa: E402
from sklearn.model_selection import cross_val_score  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402

from sklearn_mgc.features.encodecmae import EnCodecMAEFeatures  # noqa: E402
from sklearn_mgc.features.encodecmae.fbank import kaldi_fbank  # noqa: E402
from sklearn_mgc.features.encodecmae.hub import load_checkpoint  # noqa: E402
from sklearn_mgc.features.encodecmae.model import (  # noqa: E402
    GinConfig,
    build_from_checkpoint,
    make_checkpoint,
)

CASES = {
    "mel": "encodecmae_tiny_mel_d96_l3_st.pt",
    "ec": "encodecmae_tiny_ec_d96_l2_st.pt",
}


def _fixture(root, kind):
    folder = root / kind
    ckpt = folder / CASES[kind]
    if not ckpt.is_file():
        pytest.skip(f"EnCodecMAE fixtures not found in {folder}")
    return folder, ckpt


@pytest.fixture(scope="module")
def tiny_mel(tmp_path_factory):
    path = tmp_path_factory.mktemp("encodecmae") / "tiny_mel.pt"
    torch.save(
        make_checkpoint(
            front_end="mel", dim=16, num_layers=2, n_heads=2, ff_dim=32, num_mel_bins=32
        ),
        path,
    )
    return str(path)


@pytest.fixture(scope="module")
def tiny_ec(tmp_path_factory):
    path = tmp_path_factory.mktemp("encodecmae") / "tiny_ec.pt"
    torch.save(
        make_checkpoint(front_end="ec", dim=24, num_layers=3, n_heads=4, ff_dim=48, seed=1), path
    )
    return str(path)


# ------------------------------------------------------------------ parity with the authors
@pytest.mark.parametrize("kind", ["mel", "ec"])
def test_parity_with_reference(kind, encodecmae_fixtures):
    folder, ckpt = _fixture(encodecmae_fixtures, kind)
    wave = np.load(folder / "wave.npy")
    expected = {layer: np.load(folder / f"expected_layer{layer}.npy") for layer in (-1, 0, 1)}
    # end to end through the transformer (final output)
    feat = EnCodecMAEFeatures(model=str(ckpt), layer=-1, output="sequence", duration=None)
    got = feat.fit_transform([wave])
    assert got.dtype == np.float32
    assert got.shape == expected[-1].shape
    np.testing.assert_allclose(got, expected[-1], rtol=0, atol=1e-4)
    # the frame count the transformer announces is the one it produces
    assert feat._n_frames(wave.shape[0]) == expected[-1].shape[1]
    # every stored layer, from one pass of the chunks through the model
    chunk = feat.chunk_samples_
    acts = {layer: [] for layer in expected}
    with torch.inference_mode():
        for start in range(0, wave.shape[0], chunk):
            piece = torch.from_numpy(wave[start : start + chunk])[None]
            if piece.shape[1] > 2048:
                for layer, act in zip(expected, feat.model_(piece, list(expected))):
                    acts[layer].append(act[0].numpy())
    for layer, exp in expected.items():
        np.testing.assert_allclose(
            np.concatenate(acts[layer])[None], exp, rtol=0, atol=1e-4, err_msg=f"layer {layer}"
        )


def test_parity_layer_average(encodecmae_fixtures):
    folder, ckpt = _fixture(encodecmae_fixtures, "mel")
    wave = np.load(folder / "wave.npy")
    expected = (
        np.load(folder / "expected_layer0.npy") + np.load(folder / "expected_layer1.npy")
    ) / 2
    got = EnCodecMAEFeatures(
        model=str(ckpt), layer=[0, 1], output="sequence", duration=None
    ).fit_transform([wave])
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-4)
    mean = EnCodecMAEFeatures(model=str(ckpt), layer=[0, 1]).fit_transform([wave])
    np.testing.assert_allclose(mean[0], expected[0].mean(axis=0), rtol=0, atol=1e-4)


def test_fbank_parity_first_4s(encodecmae_fixtures):
    folder, ckpt = _fixture(encodecmae_fixtures, "mel")
    wave = np.load(folder / "wave.npy")
    expected = np.load(folder / "expected_fbank_first4s.npy")
    model, info = build_from_checkpoint(load_checkpoint(ckpt))
    assert info["front_end"] == "mel" and info["chunk_samples"] == 96000
    with torch.inference_mode():
        got = model.front_end(torch.from_numpy(wave[: info["chunk_samples"]])[None])[0].numpy()
    assert got.shape == expected.shape == (300, 256)
    # float32 FFT rounding in the quietest bands differs by ~1e-4 between machines
    np.testing.assert_allclose(got, expected, rtol=0, atol=3e-4)
    assert np.abs(got - expected).mean() < 1e-5


def test_fbank_matches_float64_reference():
    # independent check of the filterbank maths: float32 and float64 agree, and a pure
    # tone peaks in the band of its frequency
    sr = 24000
    t = np.arange(sr, dtype=np.float64) / sr
    tone = np.sin(2 * np.pi * 1000.0 * t)
    kw = dict(
        sample_frequency=sr,
        frame_length=26.56,
        frame_shift=13.28,
        num_mel_bins=64,
        window_type="hanning",
    )
    f32 = kaldi_fbank(torch.from_numpy(tone.astype(np.float32)), **kw).numpy()
    f64 = kaldi_fbank(torch.from_numpy(tone), **kw).numpy()
    assert f32.shape == (1 + (sr - 637) // 318, 64)
    loud = f64 > -10  # below, float32 rounding noise and the log floor dominate
    assert loud.mean() > 0.2
    np.testing.assert_allclose(f32[loud], f64[loud], atol=1e-2)
    mel = lambda f: 1127.0 * np.log(1 + f / 700.0)  # noqa: E731
    edges = np.linspace(mel(20.0), mel(sr / 2), 66)
    band = int(np.argmin(np.abs(edges[1:-1] - mel(1000.0))))
    assert abs(int(f32.mean(axis=0).argmax()) - band) <= 1


def test_gin_config_reads_published_values(encodecmae_fixtures):
    _, ckpt = _fixture(encodecmae_fixtures, "mel")
    config = GinConfig(load_checkpoint(ckpt)["config"])
    assert config.macro("MODEL_DIM") == 96  # the later definition wins
    assert config.get("MultiHeadAttention", "num_heads", scope="encoder") == 12
    assert config.get("MelspectrogramProcessor", "norm_stats") == [-6.12, 4.82]
    assert config.get("MelspectrogramProcessor", "num_mel_bins") == 256
    assert config.get("WavEncoder", "encoder") == "@torch.nn.Identity"


def test_gin_config_syntax():
    text = """
A = 3  # a comment
B = %A
scope/pkg.Cls:
    x = [1,
         2]
    y = '#not a comment'
pkg.Cls.z = %B
pkg.Cls.w = [1]
pkg.Cls.w += [2]
"""
    config = GinConfig(text)
    assert config.get("Cls", "x") == [1, 2]
    assert config.get("Cls", "y") == "#not a comment"
    assert config.get("Cls", "z") == 3
    assert config.get("Cls", "w") == [1, 2]
    assert config.get("Cls", "x", scope="other") is None


# ------------------------------------------------------------------- other sizes, round trip
@pytest.mark.parametrize("front_end", ["mel", "ec"])
def test_other_sizes_load_and_run(tmp_path, front_end):
    kwargs = dict(dim=40, num_layers=3, n_heads=5, ff_dim=64, seed=3)
    if front_end == "mel":
        kwargs["num_mel_bins"] = 128
    ckpt = make_checkpoint(front_end=front_end, **kwargs)
    # training-only parts in the file are ignored
    ckpt["state_dict"]["head.layer.weight"] = torch.zeros(3, 40)
    ckpt["state_dict"]["decoder.final_norm.weight"] = torch.ones(40)
    path = tmp_path / f"other_{front_end}.pt"
    torch.save(ckpt, path)

    rng = np.random.default_rng(0)
    X = rng.standard_normal((1, 24000 * 5)).astype(np.float32) * 0.1
    feat = EnCodecMAEFeatures(model=path, layer=-2, output="sequence", duration=5.0, batch_size=3)
    out = feat.fit_transform(X)
    assert feat.n_features_ == feat.n_features_out_ == 40
    assert feat.model_sr_ == 24000 and feat.front_end_ == front_end
    assert len(feat.model_.layers) == 3 and feat.layers_ == [1]
    per_chunk = 300
    last = 75 if front_end == "ec" else 1 + (24000 - 637) // 318
    assert out.shape == (1, per_chunk + last, 40)
    assert np.isfinite(out).all()
    # the weights survive the published format unchanged
    model, _ = build_from_checkpoint(load_checkpoint(path))
    for key, value in model.state_dict().items():
        assert torch.equal(value, feat.model_.state_dict()[key]), key


_FF_KEYS = ("ff_layer.0.weight", "ff_layer.0.bias", "ff_layer.2.weight", "ff_layer.2.bias")


def _layer_tensor(sd, i, name):
    return sd[f"visible_encoder.encoder_layers.{i}.{name}"]


@pytest.mark.parametrize("kind", ["mel", "ec"])
def test_reference_layers_share_one_feed_forward(kind, encodecmae_fixtures):
    # the authors' TransformerEncoder hands one ff_layer to all its layers: their checkpoints
    # repeat the same feed-forward weights under every layer's keys
    _, ckpt = _fixture(encodecmae_fixtures, kind)
    sd = load_checkpoint(ckpt)["state_dict"]
    n = 1 + max(int(k.split(".")[2]) for k in sd if k.startswith("visible_encoder.encoder_"))
    assert n > 1
    for i in range(1, n):
        for name in _FF_KEYS:
            assert torch.equal(_layer_tensor(sd, i, name), _layer_tensor(sd, 0, name)), (i, name)
        assert not torch.equal(
            _layer_tensor(sd, i, "att_layer.wq.weight"), _layer_tensor(sd, 0, "att_layer.wq.weight")
        )


def test_make_checkpoint_shares_one_feed_forward_like_the_authors(tmp_path):
    # a random checkpoint with one feed-forward block per layer is not one the authors' code
    # can hold (it keeps the last layer's in every layer): base-size parity failed that way
    ckpt = make_checkpoint(front_end="mel", dim=16, num_layers=3, n_heads=2, ff_dim=32)
    sd = ckpt["state_dict"]
    for i in (1, 2):
        for name in _FF_KEYS:
            assert _layer_tensor(sd, i, name) is _layer_tensor(sd, 0, name), (i, name)
        for name in ("att_layer.wq.weight", "norm1.weight"):
            assert _layer_tensor(sd, i, name) is not _layer_tensor(sd, 0, name)
    assert _layer_tensor(sd, 0, "ff_layer.0.weight").abs().sum() > 0
    # saved once, and loaded into our encoder as one block in memory
    path = tmp_path / "tied.pt"
    torch.save(ckpt, path)
    model, _ = build_from_checkpoint(load_checkpoint(path))
    first = model.layers[0].ff1.weight.data_ptr()
    assert all(layer.ff1.weight.data_ptr() == first for layer in model.layers)


def test_chunks_are_independent(tiny_mel):
    rng = np.random.default_rng(1)
    y = rng.standard_normal(96000 * 2 + 5000).astype(np.float32) * 0.1
    feat = EnCodecMAEFeatures(model=tiny_mel, output="sequence", duration=None, batch_size=1).fit(
        [y]
    )
    whole = feat.transform([y])[0]
    parts = [
        feat.transform([y[:96000]])[0],
        feat.transform([y[96000:192000]])[0],
        feat.transform([y[192000:]])[0],
    ]
    np.testing.assert_allclose(whole, np.concatenate(parts), atol=1e-5)
    # batching does not change the result
    batched = feat.set_params(batch_size=8).transform([y])[0]
    np.testing.assert_allclose(whole, batched, atol=1e-5)


@pytest.mark.parametrize("front_end", ["mel", "ec"])
def test_frame_count_matches_output(tiny_mel, tiny_ec, front_end):
    feat = EnCodecMAEFeatures(model=tiny_mel if front_end == "mel" else tiny_ec).fit(
        [np.zeros(5000, np.float32)]
    )
    chunk = feat.chunk_samples_
    lengths = [2048, 2049, 3001, chunk + 2049]
    if front_end == "mel":
        lengths += [50000, chunk, chunk + 2048, chunk + 9000, 2 * chunk + 8321]
    for n in lengths:
        y = np.random.default_rng(n).standard_normal(n).astype(np.float32) * 0.1
        assert feat._frames(y).shape == (feat._n_frames(n), feat.n_features_), n
    assert feat._n_frames(2048) == 0


def test_memory_bounded_by_batch(tiny_mel, monkeypatch):
    feat = EnCodecMAEFeatures(model=tiny_mel, duration=None, batch_size=2).fit(
        [np.zeros(10000, np.float32)]
    )
    seen = []
    original = feat._embed

    def spy(batch, lengths):
        seen.append(tuple(batch.shape))
        assert lengths == [96000 * 5 + 50000] * batch.shape[0]  # the clip's length, per chunk
        return original(batch, lengths)

    monkeypatch.setattr(feat, "_embed", spy)
    feat.transform([np.random.default_rng(0).standard_normal(96000 * 5 + 50000).astype(np.float32)])
    assert seen == [(2, 96000), (2, 96000), (1, 96000), (1, 50000)]


# --------------------------------------------------------------------------- estimator API
def test_sequence_output_shape(tiny_mel):
    rng = np.random.default_rng(0)
    X = [
        rng.standard_normal(24000 * 3).astype(np.float32),
        rng.standard_normal(24000).astype(np.float32),
    ]
    feat = EnCodecMAEFeatures(model=tiny_mel, output="sequence", duration=3.0)
    out = feat.fit_transform(X)
    n_frames = 1 + (72000 - 637) // 318
    assert out.shape == (2, n_frames, 16) and out.dtype == np.float32
    short = 1 + (24000 - 637) // 318
    assert np.all(out[1, short:] == 0) and np.any(out[1, :short] != 0)
    mean = feat.set_params(output="mean").transform(X)
    np.testing.assert_allclose(mean[0], out[0].mean(axis=0), atol=1e-5)


def test_resamples_in_memory_waveforms(tiny_mel):
    y = np.random.default_rng(0).standard_normal(16000 * 2).astype(np.float32) * 0.1
    out = EnCodecMAEFeatures(
        model=tiny_mel, sr=16000, output="sequence", duration=2.0
    ).fit_transform([y])
    assert out.shape == (1, 1 + (48000 - 637) // 318, 16)


def test_pipeline_random_forest(tiny_mel):
    from sklearn_mgc.datasets import make_genre_clips

    X, y = make_genre_clips(
        8, duration=1.0, sr=24000, genres=["classical", "metal"], random_state=0
    )[:2]
    pipe = Pipeline(
        [
            ("feat", EnCodecMAEFeatures(model=tiny_mel, duration=1.0)),
            ("clf", RandomForestClassifier(n_estimators=50, random_state=0)),
        ]
    )
    scores = cross_val_score(pipe, X, y, cv=2)
    assert scores.mean() > 0.7
    pipe.fit(X, y)
    assert set(pipe.predict(X[:3])) <= set(y)


def test_get_test_params_is_cheap_and_works():
    params = EnCodecMAEFeatures.get_test_params()
    feat = EnCodecMAEFeatures(**params)
    out = feat.fit_transform(np.zeros((2, 4800), dtype=np.float32))
    assert out.shape == (2, feat.n_features_out_)
    assert list(feat.get_feature_names_out())[:2] == ["encodecmae0", "encodecmae1"]


def test_default_params_and_no_work_in_init():
    feat = EnCodecMAEFeatures()
    assert feat.model == "mel256-ec-base_st" and feat.layer == -1 and feat.sr == 24000
    assert feat.duration == 30.0 and feat.device == "cpu" and feat.batch_size == 8
    assert not hasattr(feat, "model_")


# ---------------------------------------------------------------------------------- errors
def test_hub_failure_is_clear(monkeypatch):
    import huggingface_hub

    def offline(*args, **kwargs):
        raise huggingface_hub.errors.LocalEntryNotFoundError("no connection")

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", offline)
    with pytest.raises(
        OSError, match=r"mel256-ec-small.*lpepino/encodecmae-v2.*local path"
    ) as info:
        EnCodecMAEFeatures(model="mel256-ec-small").fit(np.zeros((1, 4800), np.float32))
    assert "mel256-ec-small.pt" in str(info.value)


def test_hub_download_is_used(monkeypatch, tiny_mel):
    import huggingface_hub

    calls = []

    def fake(repo_id, filename, **kwargs):
        calls.append((repo_id, filename))
        return tiny_mel

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", fake)
    feat = EnCodecMAEFeatures(model="mel256-ec-base_st").fit(np.zeros((1, 4800), np.float32))
    assert calls == [("lpepino/encodecmae-v2", "mel256-ec-base_st.pt")]
    assert feat.checkpoint_path_ == tiny_mel


def test_cached_hub_features_follow_the_downloaded_weights(monkeypatch, tmp_path, tiny_mel):
    # the cache key of a hub model held its name only: after the hub's file changed, the
    # cache served the old weights' features
    import huggingface_hub

    other = tmp_path / "snapshot2" / "mel256-ec-base_st.pt"
    other.parent.mkdir()
    torch.save(
        make_checkpoint(
            front_end="mel", dim=16, num_layers=2, n_heads=2, ff_dim=32, num_mel_bins=32, seed=7
        ),
        other,
    )
    clips = [np.random.default_rng(0).standard_normal(4800).astype(np.float32)]
    out = []
    for path in (tiny_mel, str(other)):
        monkeypatch.setattr(huggingface_hub, "hf_hub_download", lambda *a, path=path, **k: path)
        feat = EnCodecMAEFeatures(model="mel256-ec-base_st", duration=None)
        cached = feat.set_params(cache_dir=tmp_path / "cache").fit(clips).transform(clips)
        np.testing.assert_array_equal(cached, feat.set_params(cache_dir=None).transform(clips))
        out.append(cached)
    assert not np.allclose(out[0], out[1])


def test_missing_local_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.pt"):
        EnCodecMAEFeatures(model=str(tmp_path / "nope.pt")).fit(np.zeros((1, 4800), np.float32))


def test_not_a_checkpoint(tmp_path):
    path = tmp_path / "bad.pt"
    torch.save({"weights": torch.zeros(2)}, path)
    with pytest.raises(ValueError, match="not an EnCodecMAE checkpoint"):
        EnCodecMAEFeatures(model=str(path)).fit(np.zeros((1, 4800), np.float32))


@pytest.mark.parametrize("layer", [2, -3, [0, 5]])
def test_layer_out_of_range(tiny_mel, layer):
    with pytest.raises(ValueError, match="out of range"):
        EnCodecMAEFeatures(model=tiny_mel, layer=layer).fit(np.zeros((1, 4800), np.float32))


@pytest.mark.parametrize("layer", ["last", 1.5, [], True])
def test_bad_layer_type(tiny_mel, layer):
    with pytest.raises(ValueError, match=r"layer\b.* must be"):
        EnCodecMAEFeatures(model=tiny_mel, layer=layer).fit(np.zeros((1, 4800), np.float32))


def test_too_short_clip(tiny_mel):
    feat = EnCodecMAEFeatures(model=tiny_mel).fit(np.zeros((1, 4800), np.float32))
    from sklearn_mgc.audio import AudioError

    with pytest.raises(AudioError, match="too short"):
        feat.transform([np.zeros(2000, np.float32)])
    with pytest.warns(UserWarning, match="skipped 1"):
        out = feat.set_params(on_error="skip").transform(
            [np.zeros(2000, np.float32), np.ones(5000, np.float32)]
        )
    assert out.shape == (1, 16)


def test_padding_mask_follows_the_authors(tiny_ec):
    # The authors' extraction masks keys from min(clip length, chunk) // 320 on: the partial
    # last frame of a clip shorter than one chunk is masked, that of a longer clip's last
    # chunk is not.
    rng = np.random.default_rng(5)
    rest = 5100  # 15.9 frames of 320 samples: 16 frames, the last one partial
    y = (0.1 * rng.standard_normal(96000 + rest)).astype(np.float32)
    feat = EnCodecMAEFeatures(model=tiny_ec, output="sequence", duration=None).fit([y])
    model = feat.model_
    tail = torch.from_numpy(y[96000:])[None]
    with torch.inference_mode():
        unmasked = model(tail, [-1], n_valid=96000)[0][0].numpy()
        masked = model(tail, [-1])[0][0].numpy()
    assert unmasked.shape == masked.shape == (16, 24)
    assert np.abs(unmasked - masked).max() > 1e-3
    long_clip = feat.transform([y])[0]
    np.testing.assert_allclose(long_clip[300:], unmasked, atol=1e-5)
    short_clip = feat.transform([y[96000:]])[0]
    np.testing.assert_allclose(short_clip, masked, atol=1e-5)


def test_fitted_transformer_pickles(tiny_mel):
    import pickle

    X = np.random.default_rng(0).standard_normal((2, 24000)).astype(np.float32)
    feat = EnCodecMAEFeatures(model=tiny_mel, duration=1.0)
    expected = feat.fit_transform(X)
    again = pickle.loads(pickle.dumps(feat))
    np.testing.assert_array_equal(again.transform(X), expected)


def test_pipeline_gru_on_sequences(tiny_mel):
    from sklearn_mgc import GRUClassifier
    from sklearn_mgc.datasets import make_genre_clips

    X, y = make_genre_clips(
        8, duration=1.0, sr=24000, genres=["classical", "metal"], random_state=0
    )
    pipe = Pipeline(
        [
            ("feat", EnCodecMAEFeatures(model=tiny_mel, duration=1.0, output="sequence")),
            (
                "clf",
                GRUClassifier(
                    hidden_size=8,
                    max_epochs=30,
                    lr=0.01,
                    validation_fraction=None,
                    patience=None,
                    random_state=0,
                ),
            ),
        ]
    )
    pipe.fit(X, y)
    assert pipe.named_steps["clf"].n_features_in_ == 16
    assert pipe.score(X, y) > 0.75


@pytest.mark.parametrize(
    "name, value",
    [("batch_size", 0), ("model", 3), ("sr", -1), ("output", "frames"), ("layer", "last")],
)
def test_bad_value_names_the_parameter(tiny_mel, name, value):
    from sklearn.utils._param_validation import InvalidParameterError

    params = {"model": tiny_mel, name: value}
    with pytest.raises(InvalidParameterError, match=rf"'{name}' parameter of EnCodecMAEFeatures"):
        EnCodecMAEFeatures(**params).fit(np.zeros((1, 4800), np.float32))


def test_bad_device(tiny_mel):
    with pytest.raises(ValueError, match="device='gpu0' is not a torch device"):
        EnCodecMAEFeatures(model=tiny_mel, device="gpu0").fit(np.zeros((1, 4800), np.float32))
    feat = EnCodecMAEFeatures(model=tiny_mel, device=torch.device("cpu"))
    assert feat.fit(np.zeros((1, 4800), np.float32)).model_sr_ == 24000


def test_every_parameter_has_declared_constraints():
    assert set(EnCodecMAEFeatures._parameter_constraints) == set(EnCodecMAEFeatures().get_params())


def test_key_mask_per_chunk_equals_one_length_per_call(tiny_mel):
    model, _ = build_from_checkpoint(load_checkpoint(tiny_mel))
    wav = torch.from_numpy(np.random.default_rng(0).standard_normal((2, 24000)).astype("float32"))
    with torch.inference_mode():
        both = model(wav, [-1], n_valid=[9000, 24000])[0]
        first = model(wav[:1], [-1], n_valid=9000)[0]
        second = model(wav[1:], [-1], n_valid=24000)[0]
        same = model(wav, [-1], n_valid=[9000, 9000])[0]
        scalar = model(wav, [-1], n_valid=9000)[0]
    torch.testing.assert_close(both[:1], first, atol=1e-5, rtol=0)
    torch.testing.assert_close(both[1:], second, atol=1e-5, rtol=0)
    torch.testing.assert_close(same, scalar, atol=0, rtol=0)
    assert not torch.allclose(first, model(wav[:1], [-1])[0].detach())


def test_hub_name_or_path(tmp_path):
    from sklearn_mgc.features.encodecmae.hub import resolve_checkpoint

    for local in (str(tmp_path / "x.pt"), "./mel256-ec-base_st", "weights/model.pt"):
        with pytest.raises(FileNotFoundError, match="checkpoint file not found"):
            resolve_checkpoint(local)


def _cosines(a, b):
    """Cosine similarity of each frame of ``a`` and ``b`` (..., n_features)."""
    return (a * b).sum(-1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1))


@pytest.mark.parametrize("front_end", ["mel", "ec"])
def test_int8_is_close_to_float32_and_deterministic(tiny_mel, tiny_ec, front_end):
    from torch.ao.nn.quantized.dynamic import Linear as QuantizedLinear

    model = {"mel": tiny_mel, "ec": tiny_ec}[front_end]
    X = np.random.default_rng(0).standard_normal((2, 36000)).astype(np.float32)
    ref = EnCodecMAEFeatures(model=model, duration=None, output="sequence").fit(X).transform(X)
    feat = EnCodecMAEFeatures(model=model, duration=None, output="sequence", dtype="int8").fit(X)
    assert isinstance(feat.model_.layers[0].wq, QuantizedLinear)
    out = feat.transform(X)
    assert out.shape == ref.shape and out.dtype == np.float32
    assert _cosines(out, ref).min() > 0.99
    assert not np.array_equal(out, ref)  # it did run in int8
    np.testing.assert_array_equal(feat.transform(X), out)


def test_bfloat16_on_cpu_is_close_to_float32(tiny_mel):
    X = np.random.default_rng(1).standard_normal((1, 30000)).astype(np.float32)
    ref = EnCodecMAEFeatures(model=tiny_mel, duration=None, output="sequence").fit_transform(X)
    out = EnCodecMAEFeatures(
        model=tiny_mel, duration=None, output="sequence", dtype="bfloat16"
    ).fit_transform(X)
    assert out.shape == ref.shape and out.dtype == np.float32
    assert _cosines(out, ref).min() > 0.99


def test_int8_pickles_and_clones(tiny_mel):
    import pickle

    from sklearn.base import clone

    X = np.random.default_rng(0).standard_normal((2, 24000)).astype(np.float32)
    feat = EnCodecMAEFeatures(model=tiny_mel, duration=1.0, dtype="int8")
    expected = feat.fit_transform(X)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(feat)).transform(X), expected)
    twin = clone(feat)
    assert twin.dtype == "int8" and not hasattr(twin, "model_")
    np.testing.assert_array_equal(twin.fit_transform(X), expected)


def test_dtype_is_in_the_cache_key(tiny_mel, tmp_path):
    X = np.random.default_rng(0).standard_normal((1, 24000)).astype(np.float32)
    audio = pytest.importorskip("soundfile")
    audio.write(tmp_path / "clip.wav", X[0], 24000)
    path = str(tmp_path / "clip.wav")
    params = {"model": tiny_mel, "duration": 1.0, "cache_dir": tmp_path / "cache"}
    f32 = EnCodecMAEFeatures(**params).fit([path])
    i8 = EnCodecMAEFeatures(**params, dtype="int8").fit([path])
    assert f32._cache_params()["dtype"] == "float32" and i8._cache_params()["dtype"] == "int8"
    first = f32.transform([path])
    assert not np.array_equal(i8.transform([path]), first)  # not served from float32's entry
    np.testing.assert_array_equal(f32.transform([path]), first)


def test_checkpoint_stored_in_half_precision_runs_in_float32(tmp_path):
    # weights saved as float16 are loaded as float32, the precision the front end computes in
    ckpt = make_checkpoint(
        front_end="mel", dim=16, num_layers=2, n_heads=2, ff_dim=32, num_mel_bins=32
    )
    half = {**ckpt, "state_dict": {k: v.half() for k, v in ckpt["state_dict"].items()}}
    rounded = {**ckpt, "state_dict": {k: v.half().float() for k, v in ckpt["state_dict"].items()}}
    torch.save(half, tmp_path / "half.pt")
    torch.save(rounded, tmp_path / "rounded.pt")
    X = np.random.default_rng(0).standard_normal((1, 24000)).astype(np.float32)
    feat = EnCodecMAEFeatures(model=str(tmp_path / "half.pt"), duration=1.0).fit(X)
    assert all(p.dtype == torch.float32 for p in feat.model_.parameters())
    expected = EnCodecMAEFeatures(model=str(tmp_path / "rounded.pt"), duration=1.0).fit_transform(X)
    np.testing.assert_array_equal(feat.transform(X), expected)


def test_cache_key_follows_weights_named_from_home(tmp_path, monkeypatch):
    # model="~/m.pt" is loaded from the home folder: overwriting that file must change the key,
    # as it does for any other local path, or the old weights' features are served
    monkeypatch.setenv("HOME", str(tmp_path))
    X = np.random.default_rng(0).standard_normal((1, 24000)).astype(np.float32)
    tiny = dict(front_end="mel", dim=16, num_layers=2, n_heads=2, ff_dim=32, num_mel_bins=32)
    params = {"model": "~/m.pt", "duration": 1.0, "cache_dir": tmp_path / "cache"}
    torch.save(make_checkpoint(**tiny, seed=0), tmp_path / "m.pt")
    before = EnCodecMAEFeatures(**params).fit_transform(X)
    torch.save(make_checkpoint(**tiny, seed=1), tmp_path / "m.pt")
    after = EnCodecMAEFeatures(**params).fit_transform(X)
    fresh = EnCodecMAEFeatures(**{**params, "cache_dir": None}).fit_transform(X)
    assert not np.allclose(before, fresh)
    np.testing.assert_array_equal(after, fresh)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"dtype": "int8", "device": "cuda"}, "dtype='int8' runs on the CPU only"),
        ({"dtype": "float16", "device": "cpu"}, "dtype='float16' is for GPUs"),
    ],
)
def test_dtype_device_mismatch_is_clear(tiny_mel, params, match):
    with pytest.raises(ValueError, match=match):
        EnCodecMAEFeatures(model=tiny_mel, **params).fit(np.zeros((1, 4800), np.float32))


def test_bad_dtype_names_the_parameter(tiny_mel):
    from sklearn.utils._param_validation import InvalidParameterError

    with pytest.raises(InvalidParameterError, match="'dtype' parameter of EnCodecMAEFeatures"):
        EnCodecMAEFeatures(model=tiny_mel, dtype="int4").fit(np.zeros((1, 4800), np.float32))
