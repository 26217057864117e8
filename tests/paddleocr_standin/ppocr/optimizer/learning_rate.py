"""PaddleOCR's schedule names with PaddleOCR's keyword signatures (a key a name does not
read vanishes into ``**kwargs``, as in PaddleOCR), each returning the Paddle scheduler
PaddleOCR builds for it (``Const`` without warm-up: a float)."""

from paddle.optimizer import lr

from .lr_scheduler import CyclicalCosineDecay, OneCycleDecay, TwoStepCosineDecay


def _warmup(inner, warmup_epoch, step_each_epoch, peak, last_epoch):
    steps = round(warmup_epoch * step_each_epoch)
    if steps > 0:
        return lr.LinearWarmup(
            inner, warmup_steps=steps, start_lr=0.0, end_lr=peak, last_epoch=last_epoch
        )
    return inner


def Linear(
    learning_rate,
    epochs,
    step_each_epoch,
    end_lr=0.0,
    power=1.0,
    warmup_epoch=0,
    last_epoch=-1,
    **kwargs,
):
    inner = lr.PolynomialDecay(
        learning_rate, epochs * step_each_epoch, end_lr=end_lr, power=power, last_epoch=last_epoch
    )
    return _warmup(inner, warmup_epoch, step_each_epoch, learning_rate, last_epoch)


def Cosine(learning_rate, step_each_epoch, epochs, warmup_epoch=0, last_epoch=-1, **kwargs):
    inner = lr.CosineAnnealingDecay(
        learning_rate, T_max=step_each_epoch * epochs, last_epoch=last_epoch
    )
    return _warmup(inner, warmup_epoch, step_each_epoch, learning_rate, last_epoch)


def Step(learning_rate, step_size, step_each_epoch, gamma, warmup_epoch=0, last_epoch=-1, **kwargs):
    inner = lr.StepDecay(
        learning_rate, step_size=step_each_epoch * step_size, gamma=gamma, last_epoch=last_epoch
    )
    return _warmup(inner, warmup_epoch, step_each_epoch, learning_rate, last_epoch)


def Piecewise(step_each_epoch, decay_epochs, values, warmup_epoch=0, last_epoch=-1, **kwargs):
    inner = lr.PiecewiseDecay(
        [step_each_epoch * e for e in decay_epochs], values, last_epoch=last_epoch
    )
    return _warmup(inner, warmup_epoch, step_each_epoch, values[0], last_epoch)


def CyclicalCosine(
    learning_rate, step_each_epoch, epochs, cycle, warmup_epoch=0, last_epoch=-1, **kwargs
):
    inner = CyclicalCosineDecay(
        learning_rate,
        step_each_epoch * epochs,
        round(cycle * step_each_epoch),
        last_epoch=last_epoch,
    )
    return _warmup(inner, warmup_epoch, step_each_epoch, learning_rate, last_epoch)


def OneCycle(
    max_lr,
    epochs,
    step_each_epoch,
    anneal_strategy="cos",
    three_phase=False,
    warmup_epoch=0,
    last_epoch=-1,
    **kwargs,
):
    inner = OneCycleDecay(
        max_lr, epochs, step_each_epoch, anneal_strategy, three_phase, last_epoch=last_epoch
    )
    return _warmup(inner, warmup_epoch, step_each_epoch, max_lr, last_epoch)


def Const(learning_rate, step_each_epoch, warmup_epoch=0, last_epoch=-1, **kwargs):
    return _warmup(learning_rate, warmup_epoch, step_each_epoch, learning_rate, last_epoch)


def DecayLearningRate(learning_rate, step_each_epoch, epochs, factor=0.9, end_lr=0, **kwargs):
    # PaddleOCR sets end_lr to 0 whatever is written, and reads no warm-up
    return lr.PolynomialDecay(learning_rate, step_each_epoch * epochs, power=factor, end_lr=0)


def MultiStepDecay(
    learning_rate, milestones, step_each_epoch, gamma, warmup_epoch=0, last_epoch=-1, **kwargs
):
    inner = lr.MultiStepDecay(
        learning_rate, [step_each_epoch * e for e in milestones], gamma=gamma, last_epoch=last_epoch
    )
    return _warmup(inner, warmup_epoch, step_each_epoch, learning_rate, last_epoch)


def TwoStepCosine(learning_rate, step_each_epoch, epochs, warmup_epoch=0, last_epoch=-1, **kwargs):
    inner = TwoStepCosineDecay(
        learning_rate, step_each_epoch * 200, step_each_epoch * epochs, last_epoch=last_epoch
    )
    return _warmup(inner, warmup_epoch, step_each_epoch, learning_rate, last_epoch)


def LinearWarmupCosine(
    learning_rate,
    epochs,
    step_each_epoch,
    warmup_steps=5000,
    start_lr=1e-5,
    min_lr=1e-8,
    last_epoch=-1,
    **kwargs,
):
    inner = lr.CosineAnnealingDecay(
        learning_rate, T_max=epochs * step_each_epoch, eta_min=min_lr, last_epoch=last_epoch
    )
    if warmup_steps > 0:
        return lr.LinearWarmup(
            inner,
            warmup_steps=warmup_steps,
            start_lr=start_lr,
            end_lr=learning_rate,
            last_epoch=last_epoch,
        )
    return inner
