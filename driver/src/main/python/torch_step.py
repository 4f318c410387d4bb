"""The model Crossover trains, op for op, in PyTorch eager: the side-by-side baseline of
`bin/bench-torch`. Same shapes (conf/models.conf), same pre-norm Llama block (RMSNorm, QK-norm,
RoPE in the halves layout, SwiGLU, untied head), the same weighted cross-entropy, clip and AdamW.
Attention is materialised (PyTorch 1.13 has no scaled_dot_product_attention); bf16 is
torch.autocast on the CPU around the forward pass, as in Crossover.

Prints one JSON line: tokens per second (wall) and per CPU-second of the process.
"""
import argparse
import json
import math
import time

import torch

PRESETS = {  # conf/models.conf
    "tiny": dict(layers=2, dim=64, heads=4, ffn=176),
    "mini": dict(layers=4, dim=128, heads=4, ffn=352),
    "small": dict(layers=6, dim=256, heads=4, ffn=688),
    "medium": dict(layers=8, dim=512, heads=8, ffn=1376),
}


class Model(torch.nn.Module):
    def __init__(self, layers, dim, heads, ffn, vocab=259, eps=1e-6):
        super().__init__()
        self.heads, self.eps = heads, eps
        p = lambda *s: torch.nn.Parameter(torch.randn(*s) * 0.02)
        ones = lambda n: torch.nn.Parameter(torch.ones(n))
        self.embed = p(vocab, dim)
        self.blocks = torch.nn.ModuleList()
        hd = dim // heads
        for _ in range(layers):
            b = torch.nn.Module()
            b.attn_norm, b.wq, b.wk, b.wv, b.wo = ones(dim), p(dim, dim), p(dim, dim), p(dim, dim), p(dim, dim)
            b.q_norm, b.k_norm, b.mlp_norm = ones(hd), ones(hd), ones(dim)
            b.gate, b.up, b.down = p(dim, ffn), p(dim, ffn), p(ffn, dim)
            self.blocks.append(b)
        self.final_norm, self.head = ones(dim), p(dim, vocab)

    def rms(self, x, w):
        # As Crossover (libtorch's rms_norm) and Hugging Face's Llama: a product with rsqrt.
        return x * torch.rsqrt(x.square().mean(-1, keepdim=True).add(self.eps)) * w

    def forward(self, tokens, causal):
        bsz, length = tokens.shape
        x = self.embed[tokens]
        hd = x.shape[-1] // self.heads
        half = hd // 2
        pos = torch.arange(length).float()[:, None]
        angle = pos / (10000 ** (2.0 * torch.arange(half).float() / hd))[None, :]
        cos, sin = angle.cos(), angle.sin()
        mask = torch.full((length, length), -1e9).triu(1) if causal else None

        def rot(t):
            a, b = t[..., :half], t[..., half:]
            return torch.cat([a * cos - b * sin, b * cos + a * sin], -1)

        for b in self.blocks:
            h = self.rms(x, b.attn_norm)
            q = self.rms((h @ b.wq).float().view(bsz, length, self.heads, hd), b.q_norm).transpose(1, 2)
            k = self.rms((h @ b.wk).float().view(bsz, length, self.heads, hd), b.k_norm).transpose(1, 2)
            v = (h @ b.wv).float().view(bsz, length, self.heads, hd).transpose(1, 2)
            q, k = rot(q), rot(k)
            s = (q * (1.0 / math.sqrt(hd))) @ k.transpose(-1, -2)
            # Scores, softmax and weights stay in the products' type, as in Crossover (in bf16 the
            # softmax accumulates in FP32 inside the kernel).
            if mask is not None:
                s = s + mask.to(s.dtype)
            a = (s.softmax(-1) @ v).float().transpose(1, 2).reshape(bsz, length, -1)
            x = x + (a @ b.wo).float()
            h = self.rms(x, b.mlp_norm)
            g = h @ b.gate
            x = x + ((g * torch.sigmoid(g)) * (h @ b.up) @ b.down).float()
        return (self.rms(x, self.final_norm) @ self.head).float()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--preset", default="small")
    ap.add_argument("--objective", default="ar", choices=["ar", "mdm"])
    ap.add_argument("--precision", default="fp32", choices=["fp32", "bf16"])
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--seq-len", type=int, default=256)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    model = Model(**PRESETS[args.preset])
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, betas=(0.9, 0.95), weight_decay=0.1)
    causal = args.objective == "ar"
    bf16 = args.precision == "bf16"

    def step():
        tokens = torch.randint(0, 256, (args.batch, args.seq_len))
        if causal:
            inputs, targets = tokens[:, :-1], tokens[:, 1:]
            weights = torch.full(targets.shape, 1.0 / targets.numel())
        else:
            t = torch.rand(args.batch, 1).clamp_min(1e-3)
            masked = torch.rand(tokens.shape) < t
            inputs, targets = torch.where(masked, torch.full_like(tokens, 257), tokens), tokens
            weights = masked.float() / t / tokens.numel()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            logits = model(inputs, causal)
        loss = -(logits.log_softmax(-1).gather(-1, targets[..., None])[..., 0] * weights).sum()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        return loss.item()

    for _ in range(2):
        step()
    walls, cpus = [], []
    for _ in range(args.steps):
        w0, c0 = time.perf_counter(), time.process_time()
        step()
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    walls.sort()
    cpus.sort()
    tokens = args.batch * args.seq_len
    print(json.dumps({
        "torch": torch.__version__, "preset": args.preset, "objective": args.objective,
        "precision": args.precision, "step_s": walls[len(walls) // 2],
        "tokens_per_s": tokens / walls[len(walls) // 2],
        "tokens_per_cpu_s": tokens / cpus[len(cpus) // 2],
    }))


if __name__ == "__main__":
    main()
