"""losskit demo: a fair binary classifier trained with a loss composed by name.

1. looks losses up by name and shows what the registry knows about them;
2. composes focal loss + an L2 penalty + a demographic-parity penalty;
3. trains a small model on synthetic data where the label leaks the group,
   logging the per-term values that one call returns;
4. writes the loss as YAML and rebuilds it: same numbers;
5. prints the plugin fingerprint to record with the experiment.

Run it after README's first set-up command: ``python examples/demo.py``.
"""

from __future__ import annotations

import torch
import yaml

import losskit
from losskit import build_loss, get_loss


def synthetic_data(generator: torch.Generator, n: int = 512) -> tuple[torch.Tensor, ...]:
    """Features, labels and a sensitive group; group 1 gets more positive labels."""
    groups = torch.randint(0, 2, (n,), generator=generator)
    features = torch.randn(n, 6, generator=generator)
    features[:, 0] += 1.5 * groups  # the group is visible in the features
    logits = features[:, 1] - features[:, 2] + 2.5 * groups - 1.0
    labels = (torch.rand(n, generator=generator) < torch.sigmoid(logits)).float()
    return features, labels, groups


def parity_gap(probabilities: torch.Tensor, groups: torch.Tensor) -> float:
    rates = [probabilities[groups == g].mean().item() for g in (0, 1)]
    return abs(rates[0] - rates[1])


def train(loss: losskit.Loss, data: tuple[torch.Tensor, ...], *, steps: int, seed: int) -> torch.nn.Module:
    features, labels, groups = data
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(6, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.03)
    for step in range(steps):
        optimizer.zero_grad()
        logits = model(features).squeeze(1)
        context = {"model": model, "groups": groups}
        # A keyword no term uses is an error (it catches typos), so pass only those the loss declares.
        context = {k: v for k, v in context.items() if k in loss.context_keys().accepted}
        total, parts = loss.breakdown(logits, labels, **context)
        total.backward()
        optimizer.step()
        if step % 50 == 0 or step == steps - 1:
            logged = "  ".join(f"{k}={v.item():.4f}" for k, v in parts.items())
            print(f"    step {step:3d}  total={total.item():.4f}  {logged}")
    return model


def main() -> None:
    print("Installed losses:", len(losskit.list_losses()), "e.g.", ", ".join(losskit.list_losses()[:6]), "...")
    print()
    print(losskit.describe("sigmoid_focal"))
    print()

    loss = (
        get_loss("sigmoid_focal", gamma=2.0, alpha=0.25)
        + 1e-4 * get_loss("l2_penalty", exclude_bias_and_norm=True)
        + 2.0 * get_loss("demographic_parity")
    )
    print("Composed loss:", loss, sep="\n")

    data = synthetic_data(torch.Generator().manual_seed(0))
    features, labels, groups = data
    print("\nTraining with focal + L2 only:")
    plain = train(
        get_loss("sigmoid_focal", gamma=2.0, alpha=0.25) + 1e-4 * get_loss("l2_penalty"), data, steps=200, seed=1
    )
    print("Training with focal + L2 + demographic parity:")
    fair = train(loss, data, steps=200, seed=1)
    with torch.no_grad():
        for name, model in (("without penalty", plain), ("with penalty", fair)):
            p = torch.sigmoid(model(features).squeeze(1))
            accuracy = ((p > 0.5).float() == labels).float().mean().item()
            print(f"  {name:<16} accuracy {accuracy:.3f}   parity gap {parity_gap(p, groups):.3f}")

    text = yaml.safe_dump(loss.to_config(), sort_keys=False)
    print("\nThe loss as YAML config:\n" + text)
    rebuilt = build_loss(text)
    with torch.no_grad():
        logits = fair(features).squeeze(1)
        a = loss(logits, labels, model=fair, groups=groups)
        b = rebuilt(logits, labels, model=fair, groups=groups)
    print(f"original {a.item():.6f}   rebuilt from YAML {b.item():.6f}")
    if not torch.equal(a, b):
        raise SystemExit("config round trip changed the value")

    print("\nPlugin fingerprint:", losskit.default_registry().fingerprint())


if __name__ == "__main__":
    main()
