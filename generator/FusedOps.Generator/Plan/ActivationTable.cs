using System.Collections.Generic;

namespace FusedOps.Generator.Plan;

/// <summary>
/// One activation: its runtime kernel name (FusedOps.Kernels.Activations has scalar, Vector256 and
/// Vector512 overloads of <c>{Kernel}</c> and <c>{Kernel}Backward(g, u)</c>), and its named
/// arguments with PyTorch's defaults, passed after x (or after g, u) in this order.
/// Adding an activation is: the attribute, the runtime overloads, one entry here, the reference, tests.
/// </summary>
internal sealed class ActivationEntry
{
    public ActivationEntry(string name, string kernel, params (string Name, float Default)[] arguments)
    {
        Name = name;
        Kernel = kernel;
        Arguments = arguments;
    }

    public string Name { get; }

    public string Kernel { get; }

    public IReadOnlyList<(string Name, float Default)> Arguments { get; }
}

/// <summary>The activations the generator emits. Others in API.md are parsed and reported as not yet generated.</summary>
internal static class ActivationTable
{
    private static readonly Dictionary<string, ActivationEntry> s_entries = new()
    {
        ["Identity"] = new("Identity", "Identity"),
        ["ReLU"] = new("ReLU", "Relu"),
        ["LeakyReLU"] = new("LeakyReLU", "LeakyRelu", ("NegativeSlope", 0.01f)),
        ["HardTanh"] = new("HardTanh", "HardTanh", ("Min", -1f), ("Max", 1f)),
    };

    /// <summary>Every activation attribute in API.md, generated or not.</summary>
    public static readonly HashSet<string> AllNames = new()
    {
        "Identity", "ReLU", "LeakyReLU", "PReLU", "RReLU", "ELU", "SELU", "GELU", "Sigmoid", "Tanh", "ArcTan",
        "Softsign", "SiLU", "Swish", "Mish", "Softplus", "HardSigmoid", "HardSwish", "HardTanh", "Isru", "Isrlu",
        "SquareNonlinearity", "BinaryStep",
    };

    public static bool TryGet(string name, out ActivationEntry entry) => s_entries.TryGetValue(name, out entry!);
}
