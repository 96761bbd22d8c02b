"""Writes a TorchScript module (a 3 -> 2 linear layer with fixed weights) and its weights, for the
Metal engine's test of loading TorchScript through the PyTorch engine."""
import json, os, torch
out = os.environ["OUT"]
torch.manual_seed(0)
m = torch.nn.Linear(3, 2)
with torch.no_grad():
    m.weight.copy_(torch.tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]]))
    m.bias.copy_(torch.tensor([0.1, -0.2]))
scripted = torch.jit.script(m)
scripted.save(os.path.join(out, "linear.pt"))
x = torch.tensor([[1.0, 2.0, 3.0]])
json.dump({"torch": torch.__version__, "input": x.tolist(), "output": scripted(x).tolist()},
          open(os.path.join(out, "linear.json"), "w"))
print(torch.__version__, scripted(x).tolist())
