#!/usr/bin/env python3
# __HEADER__
"""The same experiment in PyTorch, to check the lab's numbers outside the lab.

Written by Collapse Lab from one experiment spec (below, with the lab's resolved defaults).
It needs Python 3.9+ and PyTorch only, and runs the experiment end to end:

  data (SPEC section 1) -> score net and DSM training with Adam (section 4, with the training
  variants of section 8) -> the samplers (section 5) -> TID with its spread over reference
  draws and the data-vs-data floor, ANSD, marginal accuracy (section 6) -> the see-saw
  diagnostics MAE(t) and DSM(t) where the spec asks for them (section 7).

Its random numbers are PyTorch's, not the lab's, so it reproduces the lab's figures in
distribution, not digit for digit: compare TID with the spread both print. Two options make a
point-by-point check possible: --params takes a run saved by the lab (Save run in the page,
`collapse-lab run --save-run FILE`) and samples its trained nets instead of training, and
--init starts every sampler from the given points instead of N(0, I); the deterministic
samplers (ode, ddim, dpm2) then give the lab's samples to float rounding.

  python3 THIS.py [--device cpu|cuda] [--out DIR] [--params RUN.json] [--init X1.csv] [--quiet]

Not covered (the lab writes no script for a spec with them): recursive training (generations),
checkpoints along training (training.checkpoints), a CSV data set. The k x e grid of TID
(metrics.k_grid) is measured, as result["tid_grid"].

--out DIR writes DIR/result.json (the figures, keyed as in the lab's result JSON),
DIR/train.csv (the first reference draw, the set TID compares against) and DIR/SAMPLER.csv,
so `collapse-lab tid --train DIR/train.csv --samples DIR/ode.csv` measures the same sets.
"""

import argparse
import json
import math
import os
import struct
import sys
import time

import torch

SPEC = json.loads(r'''__SPEC__''')
# What the lab resolves from the spec: defaults, steps, the nets' time ranges, the mixture.
RESOLVED = json.loads(r'''__RESOLVED__''')

T_EPS = 1e-3
BLOCK = 1024  # the lab's sampler block: the Langevin step size averages norms over a block
EVAL_ROWS = 65536


def f32(v):
    """v rounded to float32, as the lab holds times and coefficients."""
    return struct.unpack("f", struct.pack("f", v))[0]


# ---------------------------------------------------------------- processes (SPEC section 2)

class Process:
    B0, B1 = 0.1, 20.0
    # EDM's ve: sigma(t) = (S0^(1/rho) + t (S1^(1/rho) - S0^(1/rho)))^rho.
    S0, S1, RHO = 0.002, 80.0, 7.0

    def __init__(self, kind):
        if kind not in ("vp", "sub-vp", "linear", "ve"):
            raise SystemExit(f"process: unknown process {kind!r}")
        self.kind = kind
        self.t_max = RESOLVED["t_max"]

    def beta(self, t):
        return self.B0 + t * (self.B1 - self.B0)

    def log_alpha(self, t):
        return -0.25 * t * t * (self.B1 - self.B0) - 0.5 * t * self.B0

    def ve_root(self, t):
        lo, hi = self.S0 ** (1 / self.RHO), self.S1 ** (1 / self.RHO)
        return lo + t * (hi - lo), hi - lo

    @property
    def prior_scale(self):
        """x at t_max is drawn as this times N(0, I)."""
        return self.S1 if self.kind == "ve" else 1.0

    def alpha(self, t):
        if self.kind == "ve":
            return 1.0
        return 1.0 - t if self.kind == "linear" else math.exp(self.log_alpha(t))

    def sigma(self, t):
        if self.kind == "ve":
            return self.ve_root(t)[0] ** self.RHO
        if self.kind == "linear":
            return t
        one_minus_a2 = -math.expm1(2.0 * self.log_alpha(t))
        return math.sqrt(one_minus_a2) if self.kind == "vp" else one_minus_a2

    def f(self, t):
        if self.kind == "ve":
            return 0.0
        return -1.0 / (1.0 - t) if self.kind == "linear" else -0.5 * self.beta(t)

    def g2(self, t):
        if self.kind == "ve":
            r, span = self.ve_root(t)
            return 2.0 * r ** self.RHO * self.RHO * r ** (self.RHO - 1) * span
        if self.kind == "linear":
            return 2.0 * t / (1.0 - t)
        if self.kind == "vp":
            return self.beta(t)
        return -self.beta(t) * math.expm1(4.0 * self.log_alpha(t))

    def lam(self, t):
        if self.kind == "ve":
            return -math.log(self.sigma(t))
        return math.log(self.alpha(t) / self.sigma(t))

    def t_of_lambda(self, target):
        lo, hi = T_EPS, self.t_max
        for _ in range(80):
            mid = 0.5 * (lo + hi)
            if self.lam(mid) > target:
                lo = mid
            else:
                hi = mid
        return 0.5 * (lo + hi)

    def alpha_sigma_of(self, t):
        """alpha_t and sigma_t of a tensor of float32 times, computed in float64."""
        t = t.double()
        if self.kind == "linear":
            return (1.0 - t).float(), t.float()
        if self.kind == "ve":
            lo, hi = self.S0 ** (1 / self.RHO), self.S1 ** (1 / self.RHO)
            return torch.ones_like(t).float(), ((lo + t * (hi - lo)) ** self.RHO).float()
        la = -0.25 * t * t * (self.B1 - self.B0) - 0.5 * t * self.B0
        s2 = -torch.expm1(2.0 * la)
        sigma = torch.sqrt(s2) if self.kind == "vp" else s2
        return torch.exp(la).float(), sigma.float()

    def f_g2_of(self, t):
        """f(t) and g(t)^2 of a tensor of times, in float64."""
        t = t.double()
        if self.kind == "linear":
            return -1.0 / (1.0 - t), 2.0 * t / (1.0 - t)
        if self.kind == "ve":
            lo, hi = self.S0 ** (1 / self.RHO), self.S1 ** (1 / self.RHO)
            r = lo + t * (hi - lo)
            return torch.zeros_like(t), 2.0 * r ** self.RHO * self.RHO * r ** (self.RHO - 1) * (hi - lo)
        beta = self.B0 + t * (self.B1 - self.B0)
        if self.kind == "vp":
            return -0.5 * beta, beta
        la = -0.25 * t * t * (self.B1 - self.B0) - 0.5 * t * self.B0
        return -0.5 * beta, -beta * torch.expm1(4.0 * la)

    def target_of(self, target, t):
        """(cx0, ceps) of the training target y = cx0 x0 + ceps eps (the lab's
        diffusion::Target): eps, x0, or the path's velocity alpha' x0 + sigma' eps."""
        if target == "eps":
            return torch.zeros_like(t), torch.ones_like(t)
        if target == "x0":
            return torch.ones_like(t), torch.zeros_like(t)
        a, s = (v.double() for v in self.alpha_sigma_of(t))
        f, g2 = self.f_g2_of(t)
        return (f * a).float(), ((g2 + 2.0 * f * s * s) / (2.0 * s)).float()

    def eps_of_target(self, target, t):
        """(c1, c2) with eps = c1 x_t + c2 y for the x0 and v targets."""
        a, s = (v.double() for v in self.alpha_sigma_of(t))
        if target == "x0":
            return (1.0 / s).float(), (-a / s).float()
        f, g2 = self.f_g2_of(t)
        return (-2.0 * f * s / g2).float(), (2.0 * s / g2).float()


# ------------------------------------------------------------------ data sets (SPEC section 1)

def draw_data(n, gen, device):
    """n points of the spec's data set (float32)."""
    name = SPEC["dataset"]
    u = lambda *shape: torch.rand(*shape, generator=gen, device=device)
    g = lambda *shape: torch.randn(*shape, generator=gen, device=device)
    if RESOLVED["mixture"] is not None:
        means = torch.tensor(RESOLVED["mixture"]["means"], dtype=torch.float64, device=device)
        k = torch.randint(len(means), (n,), generator=gen, device=device)
        return (means[k] + RESOLVED["mixture"]["std"] * g(n, means.shape[1]).double()).float()
    if name == "chessboard":
        cell = torch.randint(8, (n,), generator=gen, device=device)
        row = cell // 2
        col = 2 * (cell % 2) + row % 2
        return torch.stack([col - 2.0 + u(n), row - 2.0 + u(n)], 1)
    if name == "spiral":
        theta = 4 * math.pi * u(n)
        r = 2 * theta / (4 * math.pi)
        return torch.stack([r * torch.cos(theta), r * torch.sin(theta)], 1) + 0.1 * g(n, 2)
    if name == "semicircle":
        upper = torch.randint(2, (n,), generator=gen, device=device) == 0
        theta = math.pi * u(n) + torch.where(upper, 0.0, math.pi)
        cx = torch.where(upper, -0.5, 0.5)
        cy = torch.where(upper, -0.1, 0.1)
        return torch.stack([cx + torch.cos(theta), cy + torch.sin(theta)], 1) + 0.1 * g(n, 2)
    if name == "painted":
        side, cells = SPEC["painted"]["side"], SPEC["painted"]["cells"]
        w = torch.tensor(cells, dtype=torch.float64, device=device)
        cell = torch.multinomial(w, n, replacement=True, generator=gen)
        row, col = cell // side, cell % side
        width = 4.0 / side
        return torch.stack([-2.0 + (col + u(n)) * width, 2.0 - (row + u(n)) * width], 1).float()
    raise SystemExit(f"dataset: {name!r} is not a data set this script knows")


# --------------------------------------------------------- score net (SPEC sections 4 and 8)

ACTIVATIONS = {"tanh": torch.nn.Tanh, "relu": torch.nn.ReLU, "silu": torch.nn.SiLU}


def mlp(sizes, act):
    """Linear layers with `act` between them; PyTorch's default init, as the lab's."""
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(act())
    return torch.nn.Sequential(*layers)


class ScoreNet(torch.nn.Module):
    """eps_hat(x, t): an MLP on [x, t]; with a skip connection c1(t) x + c2(t) N(x, t)."""

    def __init__(self, dim, process):
        super().__init__()
        m = SPEC["model"]
        self.param = m["parameterization"]
        self.target = m.get("target", "eps")
        self.precond = m.get("precond", "none")
        self.sigma_data = RESOLVED["sigma_data"]
        self.process = process
        self.main = mlp([dim + 1] + [m["width"]] * m["depth"] + [dim], ACTIVATIONS[m["activation"]])
        if self.param == "skip-learned":
            self.c1 = mlp([1, 30, 30, 1], torch.nn.Tanh)
            self.c2 = mlp([1, 30, 30, 1], torch.nn.Tanh)

    def forward(self, x, t, raw=False):
        """eps_hat; with raw, the main MLP's own output N (what training regresses: the x0 or
        v prediction under those targets)."""
        t = t.reshape(-1, 1)
        if self.precond == "edm":
            c_skip, c_out, c_in, c_noise = self.edm(t)
            n = self.main(torch.cat([c_in * x, c_noise], 1))
            if raw:
                return n
            _, s = self.process.alpha_sigma_of(t)
            # eps = (x - D) / sigma with D = c_skip x + c_out F.
            return ((1.0 - c_skip) / s).float() * x + (-c_out / s).float() * n
        n = self.main(torch.cat([x, t], 1))
        if raw or (self.param == "plain" and self.target == "eps"):
            return n
        if self.param == "plain":
            c1, c2 = self.process.eps_of_target(self.target, t)
            return c1 * x + c2 * n
        if self.param == "skip-fixed":
            _, s = self.process.alpha_sigma_of(t)
            return s * x + (1.0 - s) * n
        return self.c1(t) * x + self.c2(t) * n

    def edm(self, t):
        """EDM's c_skip, c_out, c_in, c_noise at the times t (float32, from float64)."""
        _, s = self.process.alpha_sigma_of(t)
        s, sd = s.double(), self.sigma_data
        r = torch.sqrt(s * s + sd * sd)
        return (sd * sd / (r * r)).float(), (s * sd / r).float(), (1.0 / r).float(), (torch.log(s) / 4.0).float()

    def targets(self, t):
        """(cx0, ceps) of what training regresses the net onto."""
        if self.precond == "edm":
            c_skip, c_out, _, _ = (v.double() for v in self.edm(t))
            _, s = self.process.alpha_sigma_of(t)
            return ((1.0 - c_skip) / c_out).float(), (-c_skip * s.double() / c_out).float()
        return self.process.target_of(self.target, t)

    def load_flat(self, flat):
        """The lab's flat parameter vector: each layer's weights (out x in, row-major) then its
        bias, the main MLP first, then c1 and c2."""
        flat = torch.tensor(flat, dtype=torch.float32)
        linears = [l for l in self.modules() if isinstance(l, torch.nn.Linear)]
        need = sum(l.weight.numel() + l.bias.numel() for l in linears)
        if need != len(flat):
            raise SystemExit(f"--params: the net has {need} parameters, the saved run {len(flat)}")
        at = 0
        with torch.no_grad():
            for l in linears:
                for p in (l.weight, l.bias):
                    p.copy_(flat[at:at + p.numel()].reshape(p.shape))
                    at += p.numel()


class ExactEps:
    """eps = -sigma_t * score of the noised Gaussian mixture (SPEC section 3), in float64."""

    def __init__(self, process, device):
        mix = RESOLVED["mixture"]
        self.means = torch.tensor(mix["means"], dtype=torch.float64, device=device)
        self.std = mix["std"]
        self.process = process

    def __call__(self, x, t):
        a, s = self.process.alpha(t), self.process.sigma(t)
        x = x.double()
        v = self.std ** 2 * a * a + s * s
        diff = x[:, None, :] - a * self.means[None, :, :]
        logits = -0.5 * (diff * diff).sum(-1) / v  # equal weights and variances: constants cancel
        w = torch.softmax(logits, 1)
        score = -(w[:, :, None] * diff).sum(1) / v
        return (-s * score).float()


class Model:
    """What samplers and diagnostics ask: eps_hat(x, t) at one t for all rows, from the exact
    score or from the net whose time range holds t (two nets split at t')."""

    def __init__(self, nets, split, exact):
        self.nets, self.split, self.exact = nets, split, exact

    @torch.no_grad()
    def __call__(self, x, t):
        if self.exact is not None:
            return self.exact(x, t)
        net = self.nets[0] if self.split is None or f32(t) < f32(self.split) else self.nets[1]
        out = torch.empty_like(x)
        for i in range(0, len(x), EVAL_ROWS):
            xb = x[i:i + EVAL_ROWS]
            out[i:i + EVAL_ROWS] = net(xb, torch.full((len(xb),), f32(t), device=x.device))
        return out


# ----------------------------------------------------------------- training (SPEC section 4)

def train(data, process, device, gen, log):
    tr = SPEC["training"]
    nets, reports = [], []
    for i, (t_lo, t_hi) in enumerate(RESOLVED["nets"]):
        torch.manual_seed((SPEC["seed"] * 1000 + i) % (1 << 64))  # any u64 seed of the lab
        net = ScoreNet(data.shape[1], process).to(device)
        opt = torch.optim.Adam(net.parameters(), lr=tr["lr"], betas=(0.9, 0.999), eps=1e-8)
        losses, window = [], []
        t0 = time.time()
        for step in range(1, tr["iters"] + 1):
            j = torch.randint(len(data), (tr["batch"],), generator=gen, device=device)
            dist = tr.get("t_dist", "uniform")
            if dist == "logit-normal":
                u = torch.sigmoid(torch.randn(tr["batch"], generator=gen, device=device))
            else:
                u = torch.rand(tr["batch"], generator=gen, device=device)
            t = f32(t_lo) + u * (f32(t_hi) - f32(t_lo))
            if dist == "lognormal":
                # EDM: ln sigma ~ N(-1.2, 1.2^2), t the ve time of that sigma.
                sig = torch.exp(-1.2 + 1.2 * torch.randn(tr["batch"], generator=gen, device=device))
                lo, hi = Process.S0 ** (1 / Process.RHO), Process.S1 ** (1 / Process.RHO)
                t = ((sig ** (1 / Process.RHO) - lo) / (hi - lo)).clamp(f32(t_lo), f32(t_hi))
            eps = torch.randn(tr["batch"], data.shape[1], generator=gen, device=device)
            a, s = process.alpha_sigma_of(t)
            xt = a[:, None] * data[j] + s[:, None] * eps
            cx0, ceps = net.targets(t)
            y = cx0[:, None] * data[j] + ceps[:, None] * eps
            loss = ((net(xt, t, raw=net.target != "eps" or net.precond != "none") - y) ** 2).sum(1).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            window.append(loss.detach())
            if step % tr["report_every"] == 0 or step == tr["iters"]:
                mean = torch.stack(window).mean().item()
                window = []
                if not math.isfinite(mean):
                    raise SystemExit(f"training: the loss is {mean} at step {step} (net {i}); lower training.lr")
                losses.append({"step": step, "loss": mean})
                log(f"net {i} (t in [{t_lo:g}, {t_hi:g}]) step {step}/{tr['iters']}: loss {mean:.5f}")
        if device.type == "cuda":
            torch.cuda.synchronize()
        seconds = time.time() - t0
        reports.append({"t_lo": t_lo, "t_hi": t_hi, "losses": losses, "final_loss": losses[-1]["loss"],
                        "seconds": seconds, "ms_per_step": 1000 * seconds / tr["iters"]})
        nets.append(net.eval())
    return nets, reports


# ----------------------------------------------------------------- samplers (SPEC section 5)

def uniform_grid(steps, t_max):
    return [T_EPS if i == steps else t_max - i * (t_max - T_EPS) / steps for i in range(steps + 1)]


def block_mean_norm(v):
    """Each row's block-mean of row norms (blocks of BLOCK rows, as the lab's sampler blocks)."""
    norms = v.double().norm(dim=1)
    idx = torch.arange(len(v), device=v.device) // BLOCK
    sums = torch.zeros(int(idx[-1]) + 1, dtype=torch.float64, device=v.device).index_add_(0, idx, norms)
    counts = torch.bincount(idx).double()
    return (sums / counts)[idx]


def langevin(x, t, level_alpha, model, process, gen):
    e = model(x, t)
    z = torch.randn(x.shape, generator=gen, device=x.device)
    sigma = process.sigma(t)
    grad = block_mean_norm(e) / sigma
    noise = block_mean_norm(z)
    ok = (grad > 0) & torch.isfinite(grad)
    step = torch.where(ok, 2.0 * level_alpha * (SPEC["sampling"]["snr"] * noise / torch.where(ok, grad, 1.0)) ** 2, 0.0)
    drift = (step / sigma).float()[:, None]
    # A block whose score norm is zero or not finite is left as it is (the lab skips its step).
    return torch.where(ok[:, None], x - drift * e + torch.sqrt(2.0 * step).float()[:, None] * z, x)


def level_alpha(process, t, dt):
    a = 1.0 + 2.0 * process.f(t) * dt
    return a if a > 0 else math.exp(2.0 * process.f(t) * dt)


def sample(kind, steps, x, model, process, gen):
    x = x.clone()
    grid = uniform_grid(steps, process.t_max)
    sampling = SPEC["sampling"]
    for i in range(steps):
        t, tn, last = grid[i], grid[i + 1], i + 1 == steps
        if kind in ("ode", "pc"):
            if kind == "pc":
                la = level_alpha(process, t, t - tn)
                for _ in range(sampling["corrector_steps"]):
                    x = langevin(x, t, la, model, process, gen)
            e = model(x, t)
            x = x - f32(t - tn) * (f32(process.f(t)) * x + f32(0.5 * process.g2(t) / process.sigma(t)) * e)
        elif kind == "sde":
            e = model(x, t)
            x = x - f32(t - tn) * (f32(process.f(t)) * x + f32(process.g2(t) / process.sigma(t)) * e)
            if not last:
                x = x + f32(math.sqrt(process.g2(t) * (t - tn))) * torch.randn(x.shape, generator=gen, device=x.device)
        elif kind == "ddim":
            a, c = first_order(process, t, tn)
            x = a * x - c * model(x, t)
        elif kind == "dpm2":
            u = process.t_of_lambda(0.5 * (process.lam(t) + process.lam(tn)))
            a, c = first_order(process, t, u)
            mid = a * x - c * model(x, t)
            a, c = first_order(process, t, tn)
            x = a * x - c * model(mid, u)
        elif kind == "heun":
            x = heun_step(x, t, tn, model, process)
        elif kind == "edm-sde":
            # EDM's Algorithm 2: raise the noise from t to t_hat, then a Heun step to tn.
            c = sampling.get("churn", {})
            churn, s_tmin, s_tmax, s_noise = c.get("churn", 40.0), c.get("s_tmin", 0.05), c.get("s_tmax", 50.0), c.get("s_noise", 1.003)
            s = process.sigma(t)
            gamma = min(churn / steps, math.sqrt(2) - 1) if s_tmin <= s <= s_tmax else 0.0
            th = t
            if gamma > 0:
                th = min(max(process.t_of_lambda(process.lam(t) - math.log1p(gamma)), t), process.t_max)
                r = process.alpha(th) / process.alpha(t)
                var = process.sigma(th) ** 2 - (r * s) ** 2
                if th > t and var > 0:
                    x = x - f32(1.0) * (f32(1.0 - r) * x + f32(0.0) * x) + f32(s_noise * math.sqrt(var)) * torch.randn(x.shape, generator=gen, device=x.device)
                else:
                    th = t
            x = heun_step(x, th, tn, model, process)
        elif kind == "ald":
            la = level_alpha(process, t, t - tn)
            for _ in range(sampling["corrector_steps"]):
                x = langevin(x, tn, la, model, process, gen)
        else:
            raise SystemExit(f"sampling.samplers: unknown sampler {kind!r}")
    if sampling["denoise"]:
        t = grid[-1]
        x = (x - f32(process.sigma(t)) * model(x, t)) / f32(process.alpha(t))
    return x


def heun_step(x, t, tn, model, process):
    # Heun's method on the probability-flow ODE from t to tn, as the lab's operations write it
    # (sde_ode::heun_step): the Euler point x' first, then x takes e1's part of the averaged
    # step, then e2's. The heun sampler and edm-sde's step after its churn both call it.
    h = t - tn
    ft, fn_ = process.f(t), process.f(tn)
    ct, cn = 0.5 * process.g2(t) / process.sigma(t), 0.5 * process.g2(tn) / process.sigma(tn)
    e1 = model(x, t)
    mid = f32(1.0 - h * ft) * x - f32(h * ct) * e1
    x = f32(1.0 - 0.5 * h * (ft + fn_ * (1.0 - h * ft))) * x - f32(0.5 * h * ct * (1.0 - h * fn_)) * e1
    return f32(1.0) * x - f32(0.5 * h * cn) * model(mid, tn)


def first_order(process, s, t):
    h = process.lam(t) - process.lam(s)
    return f32(process.alpha(t) / process.alpha(s)), f32(process.sigma(t) * math.expm1(h))


# ------------------------------------------------------------------ metrics (SPEC section 6)

def neighbour_counts(x, e):
    """n_i = #{j : |x_i - x_j| <= e}, the point itself included; float64 squared distances
    summed coordinate by coordinate, in the lab's order."""
    x = x.double()
    n, d = x.shape
    rows = max(1, (1 << 23) // max(1, n))
    out = torch.empty(n, dtype=torch.int64, device=x.device)
    for i in range(0, n, rows):
        sq = torch.zeros(min(rows, n - i), n, dtype=torch.float64, device=x.device)
        for c in range(d):
            sq += (x[i:i + rows, c, None] - x[None, :, c]) ** 2
        out[i:i + rows] = (sq <= e * e).sum(1)
    return out


def hill_alpha(counts, k):
    s = torch.sort(counts, descending=True).values.double()
    gamma = torch.log(s[:k] / s[k - 1]).sum().item() / k
    return 1.0 / gamma if gamma > 0 else None


def tid_point(ref_counts, sample_counts, e, k):
    k_of = lambda c: min(k or len(c), len(c))
    a_train, a_samples = hill_alpha(ref_counts, k_of(ref_counts)), hill_alpha(sample_counts, k_of(sample_counts))
    ansd = lambda c: (c - 1).double().mean().item()
    ansd_train, ansd_samples = ansd(ref_counts), ansd(sample_counts)
    return {"eps": e, "tid": None if a_train is None or a_samples is None else a_train - a_samples,
            "alpha_train": a_train, "alpha_samples": a_samples, "ansd_train": ansd_train,
            "ansd_samples": ansd_samples, "ansd_ratio": ansd_samples / ansd_train if ansd_train > 0 else None}


def std_dev(v):
    if len(v) < 2:
        return None
    m = sum(v) / len(v)
    return math.sqrt(sum((x - m) ** 2 for x in v) / (len(v) - 1))


def tid_with_spread(ref_counts, samples):
    """TID of `samples` against each reference draw: the first draw's figures, the std over all."""
    m = SPEC["metrics"]
    out = []
    for i, e in enumerate(m["eps"]):
        counts = neighbour_counts(samples, e)
        points = [tid_point(r[i], counts, e, m["k"]) for r in ref_counts]
        entry = dict(points[0])
        entry["tid_std"] = std_dev([p["tid"] for p in points if p["tid"] is not None])
        out.append(entry)
    return out


def tid_grid(ref_counts, samples):
    """TID at every k of metrics.k_grid and every radius (the lab's k x e grid, TID's
    robustness): the first reference draw's figure, and the std over all draws."""
    m = SPEC["metrics"]
    counts = [neighbour_counts(samples, e) for e in m["eps"]]
    grid = {"k": m["k_grid"], "eps": m["eps"], "tid": [], "tid_std": []}
    for k in m["k_grid"]:
        tids = [[tid_point(r[i], counts[i], e, k)["tid"] for r in ref_counts] for i, e in enumerate(m["eps"])]
        grid["tid"].append([t[0] for t in tids])
        grid["tid_std"].append([std_dev([x for x in t if x is not None]) for t in tids])
    return grid


def marginal_accuracy(samples, reference, bins=50):
    """1 - 0.5 mean over dimensions of the L1 distance of the marginal histograms: 50 bins over
    the reference's range padded by 10%, one overflow bin each side (non-finite: overflow)."""
    tv = 0.0
    for c in range(reference.shape[1]):
        r = reference[:, c].double()
        lo, hi = r.min().item(), r.max().item()
        pad = 0.1 * max(hi - lo, 1e-9)
        lo, hi = lo - pad, hi + pad

        def hist(p):
            u = (p[:, c].double() - lo) / (hi - lo) * bins
            b = torch.where(torch.isnan(u) | (u >= bins), bins + 1, torch.where(u < 0, 0, 1 + u.clamp(0, bins - 1).long()))
            return torch.bincount(b.long(), minlength=bins + 2).double() / max(len(p), 1)

        tv += (hist(samples) - hist(reference)).abs().sum().item()
    return 1.0 - 0.5 * tv / reference.shape[1]


# -------------------------------------------------------------- diagnostics (SPEC section 7)

def diagnostics(model, exact, process, gen, device):
    dg = SPEC["diagnostics"]
    x0 = draw_data(dg["points"], gen, device)
    eps = torch.randn(x0.shape, generator=gen, device=device)
    mae, dsm = [], []
    for t in dg["times"]:
        a, s = f32(process.alpha(t)), f32(process.sigma(t))
        xt = a * x0 + s * eps
        e_hat = model(xt, t)
        sq = lambda u: ((u - eps).double() ** 2).sum().item() / len(x0)
        floor = None
        if exact is not None:
            e_star = exact(xt, t)
            gap = 0.5 * process.g2(t) / process.sigma(t)
            mae.append({"t": t, "mae": gap * (e_hat.double() - e_star.double()).abs().mean().item()})
            floor = sq(e_star)
        dsm.append({"t": t, "loss": sq(e_hat), "floor": floor})
    return {"points": dg["points"], "mae_velocity": mae, "dsm_at_t": dsm}


# ------------------------------------------------------------------------------- the run

def read_csv(path, dim):
    rows = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            try:
                row = [float(v) for v in line.split(",")]
            except ValueError:
                if not rows:
                    continue  # a header
                raise SystemExit(f"--init {path}: line {n} is not numbers")
            if len(row) != dim or not all(math.isfinite(v) for v in row):
                raise SystemExit(f"--init {path}: line {n} needs {dim} finite numbers")
            rows.append(row)
    if not rows:
        raise SystemExit(f"--init {path}: no points")
    return torch.tensor(rows, dtype=torch.float32)


def write_csv(path, x):
    with open(path, "w") as f:
        for row in x.cpu().tolist():
            f.write(",".join(repr(v) for v in row) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--out", help="write result.json, train.csv and SAMPLER.csv here")
    ap.add_argument("--params", help="a run saved by the lab: sample its nets, no training")
    ap.add_argument("--init", help="CSV of starting points x_1 (one per row) instead of N(0, I)")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args()
    device = torch.device(args.device)
    log = (lambda m: None) if args.quiet else (lambda m: print(m, file=sys.stderr, flush=True))
    gen = torch.Generator(device=device).manual_seed(SPEC["seed"])
    process = Process(SPEC["process"])
    dim, n = RESOLVED["data_dim"], SPEC["sampling"]["n_samples"]
    result = {"spec": SPEC, "torch": torch.__version__, "device": str(device), "timings": {}}

    t0 = time.time()
    data = draw_data(RESOLVED["data_size"], gen, device)
    refs = [data[torch.randperm(len(data), generator=gen, device=device)[:n]] for _ in range(SPEC["metrics"]["repeats"])]
    result["timings"]["data_s"] = time.time() - t0

    exact = ExactEps(process, device) if RESOLVED["mixture"] is not None else None
    nets = []
    if SPEC["sampling"]["exact_score"]:
        result["engine"] = "exact score (no training)"
    elif args.params:
        with open(args.params) as f:
            saved = json.load(f)
        if saved.get("format") != "collapse-lab-run":
            raise SystemExit(f"--params {args.params}: not a run saved by Collapse Lab")
        if len(saved["params"]) != len(RESOLVED["nets"]):
            raise SystemExit(f"--params: the spec has {len(RESOLVED['nets'])} nets, the saved run {len(saved['params'])}")
        for flat in saved["params"]:
            net = ScoreNet(dim, process).to(device)
            net.load_flat(flat)
            nets.append(net.eval())
        result["engine"] = f"parameters of {args.params}"
    else:
        log(f"training on {device} ({RESOLVED['data_size']} points, {len(RESOLVED['nets'])} net(s))")
        t0 = time.time()
        nets, reports = train(data, process, device, gen, log)
        result["timings"]["train_s"] = time.time() - t0
        result["training_nets"] = reports
        result["engine"] = f"pytorch {torch.__version__} on {device}"
    model = Model(nets, SPEC["training"]["two_model"], exact if SPEC["sampling"]["exact_score"] else None)

    init = read_csv(args.init, dim).to(device) if args.init else process.prior_scale * torch.randn(n, dim, generator=gen, device=device)
    samples, result["samplers"] = {}, {}
    for kind in SPEC["sampling"]["samplers"]:
        t0 = time.time()
        x = sample(kind, RESOLVED["steps"][kind], init, model, process, gen)
        samples[kind] = x
        finite = bool(torch.isfinite(x).all())
        result["samplers"][kind] = {"steps": RESOLVED["steps"][kind], "seconds": time.time() - t0, "finite": finite,
                                    "mean": x.double().mean(0).tolist(), "variance": x.double().var(0, unbiased=False).tolist()}
        log(f"{kind}: {RESOLVED['steps'][kind]} steps, {time.time() - t0:.2f} s")

    t0 = time.time()
    m = SPEC["metrics"]
    ref_counts = [[neighbour_counts(r, e) for e in m["eps"]] for r in refs]
    fresh = draw_data(n, gen, device)
    result["tid"] = {k: tid_with_spread(ref_counts, x) for k, x in samples.items()
                     if result["samplers"][k]["finite"] and len(x) == n}
    result["tid_null"] = tid_with_spread(ref_counts, fresh)
    if SPEC["metrics"].get("k_grid"):
        result["tid_grid"] = {k: tid_grid(ref_counts, samples[k]) for k in result["tid"]}
        result["tid_grid"]["data"] = tid_grid(ref_counts, fresh)
    result["marginal_accuracy"] = {k: marginal_accuracy(x, refs[0]) for k, x in samples.items()}
    result["marginal_accuracy_null"] = marginal_accuracy(fresh, refs[0])
    result["timings"]["metrics_s"] = time.time() - t0
    if SPEC["diagnostics"]["enabled"]:
        result["diagnostics"] = diagnostics(model, exact, process, gen, device)

    if args.out:
        os.makedirs(args.out, exist_ok=True)
        write_csv(os.path.join(args.out, "train.csv"), refs[0])
        for k, x in samples.items():
            write_csv(os.path.join(args.out, f"{k}.csv"), x)
        with open(os.path.join(args.out, "result.json"), "w") as f:
            json.dump(result, f, indent=1)

    fmt = lambda v: "undefined" if v is None else f"{v:+.3f}"
    print(f"TID(e) against the training set, +- std over {m['repeats']} reference draws ({n} points)")
    print("e".ljust(8) + "".join(k.ljust(18) for k in list(result["tid"]) + ["data (floor)"]))
    for i, e in enumerate(m["eps"]):
        cells = [result["tid"][k][i] for k in result["tid"]] + [result["tid_null"][i]]
        print(f"{e:<8g}" + "".join((fmt(c["tid"]) + (f" +- {c['tid_std']:.3f}" if c["tid_std"] is not None else "")).ljust(18) for c in cells))
    print("marginal accuracy: " + ", ".join(f"{k} {v:.3f}" for k, v in result["marginal_accuracy"].items())
          + f", data {result['marginal_accuracy_null']:.3f}")
    for d in (result.get("diagnostics") or {}).get("mae_velocity", []):
        print(f"MAE of the velocity at t = {d['t']:g}: {d['mae']:.4f}")


if __name__ == "__main__":
    main()
