"""PaddleOCR's own three ``LRScheduler`` classes, written from the semantics spec, stepped
as PaddleOCR steps them (recursions included)."""

import math

from paddle.optimizer import lr


class CyclicalCosineDecay(lr.LRScheduler):
    """C = cycle steps; lr(0) = lr0; 0.5 * lr0 * (1 + cos(pi * (t % C) / C))."""

    def __init__(self, learning_rate, T_max, cycle=1, last_epoch=-1, eta_min=0.0):
        self.cycle = cycle
        super().__init__(learning_rate, last_epoch)

    def get_lr(self):
        if self.last_epoch == 0:
            return self.base_lr
        t = self.last_epoch % self.cycle
        return 0.5 * self.base_lr * (1 + math.cos(math.pi * t / self.cycle))


class OneCycleDecay(lr.LRScheduler):
    """PaddleOCR's phase table for OneCycleDecay; raises past the end, like PaddleOCR."""

    def __init__(
        self,
        max_lr,
        epochs,
        steps_per_epoch,
        anneal_strategy="cos",
        three_phase=False,
        last_epoch=-1,
    ):
        total = epochs * steps_per_epoch
        initial = max_lr / 25.0
        low = initial / 1e4
        self.total = total
        if three_phase:
            self.phases = [
                (0.3 * total - 1, initial, max_lr),
                (0.6 * total - 2, max_lr, initial),
                (total - 1, initial, low),
            ]
        else:
            self.phases = [(0.3 * total - 1, initial, max_lr), (total - 1, max_lr, low)]
        self.strategy = anneal_strategy
        super().__init__(max_lr, last_epoch)

    def get_lr(self):
        t = self.last_epoch
        if t > self.total:
            raise ValueError(
                f"Tried to step {t} times. The specified number of total steps is {self.total}"
            )
        begin = 0
        for i, (end, first, last) in enumerate(self.phases):
            if t <= end or i == len(self.phases) - 1:
                pct = (t - begin) / (end - begin)
                if self.strategy == "cos":
                    return last + (first - last) / 2.0 * (math.cos(math.pi * pct) + 1)
                return (last - first) * pct + first
            begin = end


class TwoStepCosineDecay(lr.LRScheduler):
    """Two cosine periods T1 (t <= T1) and T2, stepped with the ratio recursion of Paddle's
    CosineAnnealingDecay; closed form when jumped to (as LinearWarmup does)."""

    def __init__(self, learning_rate, T_max1, T_max2, eta_min=0, last_epoch=-1):
        self.t1, self.t2 = T_max1, T_max2
        super().__init__(learning_rate, last_epoch)

    def _period(self):
        return self.t1 if self.last_epoch <= self.t1 else self.t2

    def get_lr(self):
        t, period = self.last_epoch, self._period()
        if t == 0:
            return self.base_lr
        if (t - 1 - period) % (2 * period) == 0:
            return self.last_lr + self.base_lr * (1 - math.cos(math.pi / period)) / 2
        return (
            (1 + math.cos(math.pi * t / period))
            / (1 + math.cos(math.pi * (t - 1) / period))
            * self.last_lr
        )

    def _get_closed_form_lr(self):
        return self.base_lr * (1 + math.cos(math.pi * self.last_epoch / self._period())) / 2
