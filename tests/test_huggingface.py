"""Tests of Wav2Vec2Features against transformers itself, on tiny randomly initialised models.

No test needs the network: each model is built from a small config, saved with
``save_pretrained`` to a temporary directory and loaded through the public code path.
"""

import os

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from sklearn.base import clone  # noqa: E402
from sklearn.ensemble import RandomForestClassifier  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402

from sklearn_mgc import Wav2Vec2Features  # noqa: E402
from sklearn_mgc.audio import AudioError, resample  # noqa: E402
from sklearn_mgc.features.huggingface import _save_tiny_model, _tiny_config  # noqa: E402

SR = 16000  # rate of the tiny models' feature extractor


@pytest.fixture(scope="module")
def w2v_dir(tmp_path_factory):
    return _save_tiny_model(tmp_path_factory.mktemp("models") / "tiny-wav2vec2", kind="wav2vec2")


@pytest.fixture(scope="module")
def hubert_dir(tmp_path_factory):
    return _save_tiny_model(
        tmp_path_factory.mktemp("models") / "tiny-hubert", kind="hubert", seed=1
    )


def _wave(n, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n) / SR
    y = 0.3 * np.sin(2 * np.pi * 220 * t) + 0.05 * rng.standard_normal(n) + 0.1
    return y.astype(np.float32)


def _reference(directory, chunks, layer):
    """hidden_states[layer] of each chunk, computed by transformers alone, concatenated."""
    extractor = transformers.AutoFeatureExtractor.from_pretrained(directory)
    model = transformers.AutoModel.from_pretrained(directory).eval()
    frames = []
    with torch.no_grad():
        for chunk in chunks:
            inputs = extractor(chunk, sampling_rate=SR, return_tensors="pt")
            out = model(inputs["input_values"], output_hidden_states=True)
            frames.append(out.hidden_states[layer][0].numpy())
    return np.concatenate(frames), type(model).__name__


def _save_variant(directory, config_class, **extra):
    """Save to ``directory`` a tiny random model of the transformers config class named
    ``config_class``, of the tiny wav2vec 2.0's sizes changed by ``extra``."""
    tiny = _tiny_config("wav2vec2").to_dict()
    sizes = ["hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size"]
    sizes += ["conv_dim", "conv_kernel", "conv_stride"]
    sizes += ["num_conv_pos_embeddings", "num_conv_pos_embedding_groups"]
    config = getattr(transformers, config_class)(**{k: tiny[k] for k in sizes}, **extra)
    torch.manual_seed(0)
    transformers.AutoModel.from_config(config).save_pretrained(directory)
    transformers.Wav2Vec2FeatureExtractor(sampling_rate=SR).save_pretrained(directory)


def _sequence(directory, y, **params):
    feat = Wav2Vec2Features(model=directory, sr=SR, duration=None, output="sequence", **params)
    return feat.fit([y]).transform([y])[0], feat


@pytest.mark.parametrize("layer", [-1, 0, 1])
def test_matches_transformers_short_clip(w2v_dir, layer):
    y = _wave(11_000)  # shorter than one chunk: a single forward pass
    ours, feat = _sequence(w2v_dir, y, layer=layer, chunk_duration=10.0)
    ref, _ = _reference(w2v_dir, [y], layer)
    assert ours.shape == ref.shape == (feat._n_frames(len(y)), 32)
    np.testing.assert_allclose(ours, ref, atol=1e-5, rtol=0)


def test_matches_transformers_per_chunk(w2v_dir):
    y = _wave(int(2.3 * SR), seed=1)  # chunks of 1 s: 16000, 16000 and a last one of 4800
    ours, feat = _sequence(w2v_dir, y, layer=-1, chunk_duration=1.0)
    ref, _ = _reference(w2v_dir, [y[:16000], y[16000:32000], y[32000:]], -1)
    assert ours.shape == ref.shape == (feat._n_frames(len(y)), 32)
    np.testing.assert_allclose(ours, ref, atol=1e-5, rtol=0)
    # chunks are independent: a chunk's frames do not depend on its neighbours
    alone, _ = _sequence(w2v_dir, y[16000:32000], layer=-1, chunk_duration=1.0)
    n = feat._n_frames(16000)
    np.testing.assert_allclose(ours[n : 2 * n], alone, atol=1e-5, rtol=0)


def test_last_chunk_too_short_is_dropped(w2v_dir):
    y = _wave(2 * SR + 50, seed=2)  # 50 samples < receptive field of the tiny model (60)
    ours, feat = _sequence(w2v_dir, y, chunk_duration=1.0)
    assert feat._chunking() == (16000, 59)
    assert ours.shape[0] == feat._n_frames(len(y)) == 2 * feat._n_frames(16000)
    ref, _ = _reference(w2v_dir, [y[:16000], y[16000:32000]], -1)
    np.testing.assert_allclose(ours, ref, atol=1e-5, rtol=0)


def test_clip_too_short_for_one_frame(w2v_dir):
    feat = Wav2Vec2Features(model=w2v_dir, sr=SR, duration=None).fit([_wave(1000)])
    with pytest.raises(AudioError, match="too short"):
        feat.transform([_wave(59)])


def test_n_frames_is_exact(w2v_dir):
    feat = Wav2Vec2Features(model=w2v_dir, sr=SR, chunk_duration=None).fit([_wave(1000)])
    lengths = [0, 59, 60, 61, 79, 80, 81, 1234, 16000]
    expected = feat.model_._get_feat_extract_output_lengths(torch.tensor(lengths))
    assert [feat._n_frames(n) for n in lengths] == expected.clamp(min=0).tolist()
    with torch.no_grad():
        for n in [60, 81, 1234]:
            out = feat.model_(torch.zeros(1, n) + torch.randn(1, n)).last_hidden_state
            assert out.shape[1] == feat._n_frames(n)


def test_model_with_adapter_returns_its_hidden_states(tmp_path):
    # an adapter (config.add_adapter) subsamples only the last hidden state, after the encoder:
    # hidden_states keep the front end's frame rate, which the frame count must follow
    _save_variant(
        tmp_path,
        "Wav2Vec2Config",
        add_adapter=True,
        num_adapter_layers=1,
        adapter_stride=2,
        output_hidden_size=32,
    )
    y = _wave(int(1.5 * SR), seed=3)
    ours, feat = _sequence(str(tmp_path), y, layer=-1, chunk_duration=1.0)
    ref, _ = _reference(str(tmp_path), [y[:16000], y[16000:]], -1)
    assert ours.shape == ref.shape == (200 + 100, 32)
    np.testing.assert_allclose(ours, ref, atol=1e-5, rtol=0)
    np.testing.assert_allclose(np.diff(feat.frame_times(3)), [80 / SR] * 2)


@pytest.mark.parametrize("kind", ["SEWConfig", "SEWDConfig"])
def test_sew_hidden_states_at_the_pooled_rate(tmp_path, kind):
    # SEW and SEW-D average squeeze_factor front-end frames into one before their layers:
    # every entry of hidden_states has frames // squeeze_factor frames, one per 2 * 80 samples
    _save_variant(tmp_path, kind, squeeze_factor=2)
    y = _wave(int(1.3 * SR), seed=4)
    for layer in (0, -1):
        ours, feat = _sequence(str(tmp_path), y, layer=layer, chunk_duration=1.0)
        ref, _ = _reference(str(tmp_path), [y[:16000], y[16000:]], layer)
        assert ours.shape == ref.shape == (100 + 30, 32)
        np.testing.assert_allclose(ours, ref, atol=1e-5, rtol=0)
    # a pooled frame averages two front-end frames, centred at 29.5 and 109.5 samples
    np.testing.assert_allclose(feat.frame_times(2), np.array([69.5, 229.5]) / SR)
    with pytest.raises(AudioError, match="too short"):  # 139 samples: one front-end frame
        feat.transform([_wave(139)])


def test_normalisation_is_the_feature_extractor(w2v_dir):
    feat = Wav2Vec2Features(model=w2v_dir, sr=SR).fit([_wave(1000)])
    batch = np.stack([_wave(3000, seed=s) * (s + 1) + s for s in range(3)])
    ours = feat._normalize(torch.from_numpy(batch)).numpy()
    extractor = transformers.Wav2Vec2FeatureExtractor.from_pretrained(w2v_dir)
    theirs = extractor(list(batch), sampling_rate=SR, return_tensors="np")["input_values"]
    np.testing.assert_allclose(ours, theirs, atol=1e-6, rtol=0)
    manual = (batch - batch.mean(1, keepdims=True)) / np.sqrt(batch.var(1, keepdims=True) + 1e-7)
    np.testing.assert_allclose(ours, manual, atol=1e-5, rtol=0)
    assert np.allclose(ours.mean(1), 0, atol=1e-5) and np.allclose(ours.std(1), 1, atol=1e-4)


def test_layer_list_is_averaged(w2v_dir):
    y = _wave(9000, seed=3)
    ours, _ = _sequence(w2v_dir, y, layer=[0, 2])
    first, _ = _reference(w2v_dir, [y], 0)
    last, _ = _reference(w2v_dir, [y], 2)
    np.testing.assert_allclose(ours, (first + last) / 2, atol=1e-5, rtol=0)
    same, _ = _sequence(w2v_dir, y, layer=[-1])
    np.testing.assert_allclose(same, last, atol=1e-5, rtol=0)


@pytest.mark.parametrize("layer", [3, -4, [0, 5], [], 1.0, "last", True])
def test_bad_layer(w2v_dir, layer):
    feat = Wav2Vec2Features(model=w2v_dir, sr=SR, layer=layer)
    with pytest.raises(ValueError, match="layer"):
        feat.fit([_wave(1000)])


def test_bad_chunk_duration(w2v_dir):
    with pytest.raises(ValueError, match="chunk_duration"):
        Wav2Vec2Features(model=w2v_dir, chunk_duration=0).fit([_wave(1000)])


def test_mean_and_sequence_shapes(w2v_dir):
    clips = np.stack([_wave(22050, seed=s) for s in range(3)])  # 1 s at 22050 Hz
    feat = Wav2Vec2Features(model=w2v_dir, sr=22050, duration=1.0, chunk_duration=0.5)
    mean = feat.fit_transform(clips)
    assert mean.shape == (3, 32) and mean.dtype == np.float32
    assert feat.n_features_ == feat.n_features_out_ == 32 and feat.model_sr_ == SR
    seq = feat.set_params(output="sequence").transform(clips)
    n_frames = feat._n_frames(SR)
    assert n_frames == 2 * 100  # two chunks of 0.5 s, 100 frames each
    assert seq.shape == (3, n_frames, 32) and seq.dtype == np.float32
    np.testing.assert_allclose(seq.mean(axis=1), mean, atol=1e-5)
    # a shorter clip is zero-padded to the frames of `duration` seconds
    short = feat.transform([clips[0, :11025]])
    assert short.shape == (1, n_frames, 32)
    assert np.all(short[0, 100:] == 0) and np.any(short[0, :100] != 0)


def test_resamples_from_input_rate(w2v_dir):
    y22 = _wave(22050, seed=4)  # read as 1 s at 22050 Hz
    feat = Wav2Vec2Features(model=w2v_dir, sr=22050, duration=None, output="sequence")
    ours = feat.fit_transform([y22])[0]
    assert ours.shape[0] == feat._n_frames(SR)  # 1 s at 16 kHz, not 22050 samples
    y16 = resample(y22, orig_sr=22050, target_sr=SR)
    ref, _ = _reference(w2v_dir, [y16], -1)
    np.testing.assert_allclose(ours, ref, atol=1e-5, rtol=0)
    # without resampling the frames would differ
    assert ours.shape != _sequence(w2v_dir, y22)[0].shape


def test_hubert_loads_and_matches(hubert_dir):
    y = _wave(12_345, seed=5)
    ours, feat = _sequence(hubert_dir, y, layer=1)
    ref, name = _reference(hubert_dir, [y], 1)
    assert name == type(feat.model_).__name__ == "HubertModel"
    np.testing.assert_allclose(ours, ref, atol=1e-5, rtol=0)


def _tone_or_noise(n_per_class, seed):
    rng = np.random.default_rng(seed)
    t = np.arange(8000) / SR
    X, y = [], []
    for _ in range(n_per_class):
        f = rng.uniform(150, 400)
        X.append(np.sin(2 * np.pi * f * t + rng.uniform(0, 6)) + 0.01 * rng.standard_normal(t.size))
        y.append("tone")
        X.append(rng.standard_normal(t.size))
        y.append("noise")
    return np.asarray(X, dtype=np.float32), np.asarray(y, dtype=object)


def test_pipeline_with_random_forest(w2v_dir):
    X_train, y_train = _tone_or_noise(8, seed=0)
    X_test, y_test = _tone_or_noise(4, seed=1)
    pipe = Pipeline(
        [
            ("feat", Wav2Vec2Features(model=w2v_dir, sr=SR, duration=0.5, output="mean")),
            ("clf", RandomForestClassifier(n_estimators=30, random_state=0)),
        ]
    )
    pipe.fit(X_train, y_train)
    pred = pipe.predict(X_test)
    assert set(pred) <= {"tone", "noise"}
    assert np.mean(pred == y_test) >= 0.8
    # a clone refits from the same local model to the same features
    again = clone(pipe).fit(X_train, y_train)
    np.testing.assert_array_equal(again.predict(X_test), pred)


def test_missing_local_directory(tmp_path):
    missing = tmp_path / "no-such-model"
    with pytest.raises(OSError, match="no-such-model.*no such directory"):
        Wav2Vec2Features(model=missing).fit([_wave(1000)])
    with pytest.raises(OSError, match="no such directory"):
        Wav2Vec2Features(model=str(missing)).fit([_wave(1000)])


def test_directory_without_model(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(OSError, match=r"Cannot load the local directory .*empty.*HF_HUB_OFFLINE"):
        Wav2Vec2Features(model=tmp_path / "empty").fit([_wave(1000)])


def test_model_of_wrong_type():
    with pytest.raises(TypeError, match="'model' parameter of Wav2Vec2Features must be"):
        Wav2Vec2Features(model=3).fit([_wave(1000)])


def test_not_fitted_model_is_not_loaded_in_init(tmp_path):
    feat = Wav2Vec2Features(model=tmp_path / "nothing-here")  # no error: __init__ does no work
    assert not hasattr(feat, "model_")
    assert feat.get_params()["model"] == tmp_path / "nothing-here"


def test_get_test_params():
    params = Wav2Vec2Features.get_test_params()
    assert os.path.isdir(params["model"])
    feat = Wav2Vec2Features(**params)
    out = feat.fit_transform(np.stack([_wave(SR, seed=s) for s in range(2)]))
    assert out.shape == (2, 32) and np.isfinite(out).all()


def test_audio_file_input(w2v_dir, gtzan_files):
    path = gtzan_files[0][0]  # a real 22050 Hz GTZAN clip, decoded straight to 16 kHz
    feat = Wav2Vec2Features(model=w2v_dir, duration=1.5, chunk_duration=1.0, output="sequence")
    seq = feat.fit_transform([path])
    assert seq.shape == (1, feat._n_frames(int(1.5 * SR)), 32)
    from sklearn_mgc.audio import load_audio

    y = load_audio(path, sr=SR, duration=1.5)
    ref, _ = _reference(w2v_dir, [y[:SR], y[SR:]], -1)
    np.testing.assert_allclose(seq[0], ref, atol=1e-5, rtol=0)


def test_pickle_round_trip(w2v_dir):
    import pickle

    X = np.stack([_wave(SR, seed=s) for s in range(2)])
    feat = Wav2Vec2Features(model=w2v_dir, sr=SR, duration=1.0, output="sequence").fit(X)
    before = feat.transform(X)
    restored = pickle.loads(pickle.dumps(feat))
    assert type(restored.model_).__name__ == "Wav2Vec2Model" and not restored.model_.training
    np.testing.assert_array_equal(restored.transform(X), before)
    np.testing.assert_array_equal(feat.transform(X), before)  # pickling left it intact


def test_pipeline_gru_on_sequences(w2v_dir):
    from sklearn_mgc import GRUClassifier

    X_train, y_train = _tone_or_noise(8, seed=0)
    X_test, y_test = _tone_or_noise(4, seed=1)
    pipe = Pipeline(
        [
            ("feat", Wav2Vec2Features(model=w2v_dir, sr=SR, duration=0.5, output="sequence")),
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
    pipe.fit(X_train, y_train)
    assert np.mean(pipe.predict(X_test) == y_test) >= 0.75


@pytest.mark.parametrize(
    "name, value",
    [("chunk_duration", -1.0), ("batch_size", 0), ("layer", "last"), ("duration", 0)],
)
def test_bad_value_names_the_parameter(w2v_dir, name, value):
    from sklearn.utils._param_validation import InvalidParameterError

    params = {"model": w2v_dir, "sr": SR, name: value}
    with pytest.raises(InvalidParameterError, match=rf"'{name}' parameter of Wav2Vec2Features"):
        Wav2Vec2Features(**params).fit([_wave(1000)])


def test_bad_device(w2v_dir):
    with pytest.raises(ValueError, match="device='gpu0' is not a torch device"):
        Wav2Vec2Features(model=w2v_dir, sr=SR, device="gpu0").fit([_wave(1000)])


def test_every_parameter_has_declared_constraints():
    assert set(Wav2Vec2Features._parameter_constraints) == set(Wav2Vec2Features().get_params())


def test_fitted_layers_are_non_negative(w2v_dir):
    feat = Wav2Vec2Features(model=w2v_dir, sr=SR, layer=[0, -1]).fit([_wave(1000)])
    assert feat.layers_ == [0, 2]  # 2 layers: hidden_states has 3 entries


def test_embed_receives_the_clip_length(w2v_dir, monkeypatch):
    feat = Wav2Vec2Features(model=w2v_dir, sr=SR, duration=None, chunk_duration=0.5).fit(
        [_wave(1000)]
    )
    seen = []
    original = feat._embed

    def spy(batch, lengths):
        seen.append((tuple(batch.shape), list(lengths)))
        return original(batch, lengths)

    monkeypatch.setattr(feat, "_embed", spy)
    feat.transform([_wave(20000)])
    assert seen == [((2, 8000), [20000, 20000]), ((1, 4000), [20000])]


def _int8_against_float32(directory):
    """An int8 Wav2Vec2Features of ``directory``, checked close to float32, deterministic and
    the same once unpickled; returns it and its unpickled copy."""
    import pickle

    X = np.stack([_wave(SR, seed=s) for s in range(2)])
    params = {"model": directory, "sr": SR, "duration": 1.0, "output": "sequence"}
    ref = Wav2Vec2Features(**params).fit(X).transform(X)
    feat = Wav2Vec2Features(**params, dtype="int8").fit(X)
    out = feat.transform(X)
    assert out.shape == ref.shape and out.dtype == np.float32
    cos = (out * ref).sum(-1) / (np.linalg.norm(out, axis=-1) * np.linalg.norm(ref, axis=-1))
    assert cos.min() > 0.99 and not np.array_equal(out, ref)
    np.testing.assert_array_equal(feat.transform(X), out)
    restored = pickle.loads(pickle.dumps(feat))
    np.testing.assert_array_equal(restored.transform(X), out)
    return feat, restored


def test_int8_is_close_to_float32_pickles_and_is_deterministic(w2v_dir):
    from torch.ao.nn.quantized.dynamic import Linear as QuantizedLinear

    feat, restored = _int8_against_float32(w2v_dir)
    assert any(isinstance(m, QuantizedLinear) for m in feat.model_.modules())
    assert any(isinstance(m, QuantizedLinear) for m in restored.model_.modules())
    assert feat._cache_params()["dtype"] == "int8"


def test_int8_wavlm_keeps_the_projections_its_attention_reads(tmp_path):
    # WavLM's attention passes q_proj.weight ... to F.multi_head_attention_forward: those four
    # stay float32 (quantized, their weight is a method and the forward pass fails), the rest
    # of its Linear layers are int8
    from torch.ao.nn.quantized.dynamic import Linear as QuantizedLinear

    _save_variant(tmp_path, "WavLMConfig")
    feat, restored = _int8_against_float32(str(tmp_path))
    assert type(feat.model_).__name__ == "WavLMModel"
    for model in (feat.model_, restored.model_):
        attention = model.encoder.layers[0].attention
        assert type(attention.q_proj) is torch.nn.Linear
        assert type(attention.out_proj) is torch.nn.Linear
        assert isinstance(model.encoder.layers[0].feed_forward.output_dense, QuantizedLinear)


def test_bad_dtype(w2v_dir):
    from sklearn.utils._param_validation import InvalidParameterError

    with pytest.raises(InvalidParameterError, match="'dtype' parameter of Wav2Vec2Features"):
        Wav2Vec2Features(model=w2v_dir, sr=SR, dtype="half").fit([_wave(1000)])
    with pytest.raises(ValueError, match="dtype='int8' runs on the CPU only"):
        Wav2Vec2Features(model=w2v_dir, sr=SR, dtype="int8", device="cuda").fit([_wave(1000)])


def _save_wide_conv_model(directory, kind, **config):
    """A tiny encoder whose convolutions 2 and 3 (96 channels x 3) are worth quantizing."""
    from sklearn_mgc.features.huggingface import _tiny_config

    cfg = _tiny_config(kind)
    cfg.conv_dim = [96, 96, 96]
    for key, value in config.items():
        setattr(cfg, key, value)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(3)
        transformers.AutoModel.from_config(cfg).save_pretrained(directory)
    transformers.Wav2Vec2FeatureExtractor(sampling_rate=SR, do_normalize=True).save_pretrained(
        directory
    )
    return directory


@pytest.mark.parametrize(
    "kind, config",
    [("wav2vec2", {}), ("hubert", {"feat_extract_norm": "layer", "conv_bias": True})],
)
def test_int8_quantizes_the_convolutional_front_end(tmp_path, kind, config):
    from sklearn_mgc.features._int8 import Int8Conv1d, NormedConv1d

    directory = _save_wide_conv_model(tmp_path / kind, kind, **config)
    feat, restored = _int8_against_float32(directory)
    convs = feat.model_.feature_extractor.conv_layers
    # the first convolution (1 x 10) stays float32: with a per-channel group norm after it
    # (feat_extract_norm="group"), the norm folded into it (NormedConv1d)
    first = NormedConv1d if kind == "wav2vec2" else torch.nn.Conv1d
    assert [type(layer.conv) for layer in convs] == [first, Int8Conv1d, Int8Conv1d]
    # the first convolution (1 x 10) and the positional one (grouped, padded, weight-normed)
    # stay float32
    assert isinstance(feat.model_.encoder.pos_conv_embed.conv, torch.nn.Conv1d)
    assert not isinstance(feat.model_.encoder.pos_conv_embed.conv, Int8Conv1d)
    assert type(restored.model_.feature_extractor.conv_layers[1].conv) is Int8Conv1d


def test_int8_features_are_cached_per_batch_size(w2v_dir, tmp_path):
    # int8 quantizes each batch of chunks with its own scale, so batch_size changes the
    # frames; batch_size was left out of the cache key, which served another size's frames
    y = _wave(4 * SR, seed=3)

    def frames(batch_size, cache_dir):
        feat = Wav2Vec2Features(model=w2v_dir, sr=SR, duration=None, output="sequence")
        feat.set_params(dtype="int8", chunk_duration=1.0, batch_size=batch_size)
        return feat.set_params(cache_dir=cache_dir).fit([y]).transform([y])[0]

    fresh = {b: frames(b, None) for b in (1, 4)}
    assert not np.array_equal(fresh[1], fresh[4])
    cached = {b: frames(b, tmp_path) for b in (1, 4)}
    np.testing.assert_array_equal(cached[1], fresh[1])
    np.testing.assert_array_equal(cached[4], fresh[4])
