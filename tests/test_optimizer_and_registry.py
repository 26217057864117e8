"""build_optimizer with real Paddle optimizers, and user-registered schedules."""

import warnings

import numpy as np
import paddle
import pytest

import ppocr_lr
from ppocr_lr import functions as F
from ppocr_lr.params import Number, Param
from test_scheduler import CONFIGS, load


class TinyNet(paddle.nn.Layer):
    def __init__(self):
        super().__init__()
        self.conv = paddle.nn.Conv2D(1, 4, 3)
        self.norm = paddle.nn.BatchNorm2D(4)
        self.head = paddle.nn.Linear(4, 3)

    def forward(self, x):
        return self.head(self.norm(self.conv(x)).mean(axis=[2, 3]))


def train(optimizer, lr, model, steps):
    """Train on a fixed batch; record the lr the optimizer reports before each update."""
    paddle.seed(0)
    x = paddle.randn([8, 1, 6, 6])
    y = paddle.to_tensor(np.arange(8) % 3)
    seen, losses = [], []
    for _ in range(steps):
        loss = paddle.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        seen.append(optimizer.get_lr())
        optimizer.step()
        optimizer.clear_grad()
        lr.step()
        losses.append(float(loss))
    return seen, losses


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.rsplit("/", 1)[-1])
def test_a_real_optimizer_follows_every_schedule(path):
    paddle.seed(1)
    model = TinyNet()
    config = {"name": "Momentum", "momentum": 0.9, "lr": load(path)}
    optimizer, lr = ppocr_lr.build_optimizer(config, 60, 7, model)
    seen, _ = train(optimizer, lr, model, 16)
    assert seen == [lr.lr_at(t) for t in range(16)]


@pytest.mark.parametrize(
    "name, extra",
    [
        ("Momentum", {"momentum": 0.9}),
        ("Adam", {"beta1": 0.9, "beta2": 0.99}),
        ("AdamW", {"weight_decay": 0.05}),
        ("RMSProp", {"rho": 0.9}),
        ("Adadelta", {}),
        ("SGD", {}),
        ("Adagrad", {}),
        ("Lamb", {}),
    ],
)
def test_every_optimizer_trains(name, extra):
    paddle.seed(2)
    model = TinyNet()
    config = {"name": name, "lr": {"name": "Cosine", "learning_rate": "1e-2"}, **extra}
    optimizer, lr = ppocr_lr.build_optimizer(config, 5, 10, model)
    assert type(optimizer) is getattr(paddle.optimizer, name)  # Paddle's own class
    assert isinstance(optimizer, getattr(paddle.optimizer, name))
    seen, losses = train(optimizer, lr, model, 30)
    assert losses[-1] < losses[0]
    assert seen == [lr.lr_at(t) for t in range(30)]


def test_regularizers_and_clipping_become_paddle_objects():
    model = TinyNet()
    lr = {"name": "Const", "learning_rate": 0.1}
    opt, _ = ppocr_lr.build_optimizer(
        {"name": "Adam", "lr": lr, "regularizer": {"name": "L1", "factor": "2e-5"}}, 2, 2, model
    )
    assert isinstance(opt.regularization, paddle.regularizer.L1Decay)
    assert opt.regularization._coeff == pytest.approx(2e-5)
    for name in ("L2", "L2Decay"):
        opt, _ = ppocr_lr.build_optimizer(
            {"name": "Adam", "lr": lr, "regularizer": {"name": name, "factor": 3e-5}}, 2, 2, model
        )
        assert isinstance(opt.regularization, paddle.regularizer.L2Decay)
        assert opt.regularization._coeff == pytest.approx(3e-5)
        # Momentum takes an L2 float into its fused update instead
        opt, _ = ppocr_lr.build_optimizer(
            {
                "name": "Momentum",
                "momentum": 0.9,
                "lr": lr,
                "regularizer": {"name": name, "factor": 3e-5},
            },
            2,
            2,
            model,
        )
        assert opt._regularization_method == "l2_decay"
        assert opt._regularization_coeff == pytest.approx(3e-5)
    opt, _ = ppocr_lr.build_optimizer(
        {"name": "Adam", "lr": lr, "weight_decay": 1e-4, "clip_norm": 5}, 2, 2, model
    )
    assert opt.regularization._coeff == pytest.approx(1e-4)
    assert isinstance(opt._grad_clip, paddle.nn.ClipGradByNorm)
    assert opt._grad_clip.clip_norm == 5
    opt, _ = ppocr_lr.build_optimizer(
        {"name": "Adam", "lr": lr, "clip_norm_global": 10}, 2, 2, model
    )
    assert isinstance(opt._grad_clip, paddle.nn.ClipGradByGlobalNorm)
    opt, _ = ppocr_lr.build_optimizer({"name": "Adam", "lr": lr}, 2, 2, model)
    assert opt.regularization is None and opt._grad_clip is None


def test_adamw_weight_decay_exclusions():
    model = TinyNet()
    lr = {"name": "Const", "learning_rate": 0.1}
    opt, _ = ppocr_lr.build_optimizer({"name": "AdamW", "lr": lr}, 2, 2, model)
    assert opt._weight_decay == 0.01  # PaddleOCR's default when nothing is set
    opt, _ = ppocr_lr.build_optimizer(
        {"name": "AdamW", "lr": lr, "regularizer": {"name": "L2", "factor": 0.05}}, 2, 2, model
    )
    assert opt._weight_decay == 0.05
    opt, _ = ppocr_lr.build_optimizer(
        {
            "name": "AdamW",
            "lr": lr,
            "no_weight_decay_name": "norm",
            "one_dim_param_no_weight_decay": False,
        },
        2,
        2,
        model,
    )
    decays = {n: opt._apply_decay_param_fun(p.name) for n, p in model.named_parameters()}
    assert decays == {
        "conv.weight": True,
        "conv.bias": True,
        "norm.weight": False,
        "norm.bias": False,
        "norm._mean": False,
        "norm._variance": False,
        "head.weight": True,
        "head.bias": True,
    }
    opt, _ = ppocr_lr.build_optimizer(
        {"name": "AdamW", "lr": lr, "one_dim_param_no_weight_decay": True}, 2, 2, model
    )
    decays = {n: opt._apply_decay_param_fun(p.name) for n, p in model.named_parameters()}
    assert decays == {
        "conv.weight": True,
        "conv.bias": False,
        "norm.weight": False,
        "norm.bias": False,
        "norm._mean": False,
        "norm._variance": False,
        "head.weight": True,
        "head.bias": False,
    }


def test_only_trainable_parameters_are_optimised():
    model = TinyNet()
    model.conv.weight.trainable = False
    opt, _ = ppocr_lr.build_optimizer({"name": "Adam", "lr": {"learning_rate": 0.1}}, 2, 2, model)
    names = {p.name for p in opt._parameter_list}
    assert model.conv.weight.name not in names and model.head.weight.name in names


def test_the_callers_optimizer_config_is_not_mutated():
    config = {
        "name": "Adam",
        "lr": {"name": "Cosine", "learning_rate": 0.1},
        "regularizer": {"name": "L2", "factor": 1e-5},
    }
    snapshot = {
        "name": "Adam",
        "lr": {"name": "Cosine", "learning_rate": 0.1},
        "regularizer": {"name": "L2", "factor": 1e-5},
    }
    ppocr_lr.build_optimizer(config, 2, 2, TinyNet())
    ppocr_lr.build_optimizer(config, 2, 2, TinyNet())
    assert config == snapshot


def test_optimizer_state_dict_carries_the_schedule():
    model = TinyNet()
    opt, lr = ppocr_lr.build_optimizer(
        {"name": "Adam", "lr": {"name": "Cosine", "learning_rate": 0.1, "warmup_epoch": 1}},
        4,
        5,
        model,
    )
    train(opt, lr, model, 7)
    state = opt.state_dict()["LR_Scheduler"]
    assert state["last_epoch"] == 7 and state["LinearWarmup_LR"]["last_epoch"] == 2


def test_a_user_schedule_registered_from_outside_is_nameable_in_yaml():
    @ppocr_lr.register_scheduler("TestHalving")
    class Halving(ppocr_lr.LRSchedule):
        """Halve the learning rate every quarter of the run."""

        params = (
            Param("learning_rate", Number(minimum=0.0)),
            Param("parts", Number(minimum=1.0), 4.0, "how many halvings"),
        )

        def decay(self, p, run_steps):
            return F.GeometricSteps(p.learning_rate, 0.5, every=int(run_steps // p.parts))

    assert "TestHalving" in ppocr_lr.available_schedulers()
    s = ppocr_lr.build_lr_scheduler(
        {"name": "TestHalving", "learning_rate": 0.8, "warmup_steps": 4}, 10, 4
    )
    assert [s.lr_at(t) for t in (0, 2, 4, 13, 14, 24, 44)] == [0, 0.4, 0.8, 0.8, 0.4, 0.2, 0.05]
    assert s.name == "TestHalving" and isinstance(s, paddle.optimizer.lr.LRScheduler)
    with pytest.warns(ppocr_lr.ConfigWarning, match="did you mean 'parts'"):
        ppocr_lr.build_lr_scheduler({"name": "TestHalving", "learning_rate": 0.8, "part": 2}, 10, 4)
    with pytest.raises(ValueError, match="taken by"):

        @ppocr_lr.register_scheduler("Cosine")
        class Other(ppocr_lr.LRSchedule):
            pass

    with pytest.raises(TypeError, match="not an LRSchedule subclass"):
        ppocr_lr.register_scheduler("Nope")(object)


def test_available_schedulers_lists_every_name():
    assert set(ppocr_lr.available_schedulers()) >= {
        "Linear",
        "Cosine",
        "Step",
        "Piecewise",
        "CyclicalCosine",
        "OneCycle",
        "Const",
        "DecayLearningRate",
        "MultiStepDecay",
        "TwoStepCosine",
        "LinearWarmupCosine",
        "Exponential",
        "NaturalExp",
        "InverseTime",
        "Polynomial",
        "CosineDecay",
        "CosineRestarts",
        "LinearCosine",
        "NoisyLinearCosine",
    }


def test_examples_build_through_build_optimizer_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error", ppocr_lr.ConfigWarning)
        for path in CONFIGS:
            ppocr_lr.build_optimizer({"name": "Adam", "lr": load(path)}, 60, 7, TinyNet())
