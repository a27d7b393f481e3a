using System;

namespace FusedOps;

/// <summary>
/// Names the current tensor so that a later <see cref="AddAttribute"/> or
/// <see cref="ConcatAttribute"/> can use it; passes the tensor on unchanged. A layer of its own
/// (it takes an index) with no state. A name is saved once and may be used several times after it.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class SaveAttribute : LayerAttribute
{
    /// <summary>Saves the current tensor under <paramref name="name"/>.</summary>
    public SaveAttribute(string name) => Name = name;

    /// <summary>The name later layers refer to.</summary>
    public string Name { get; }
}

/// <summary>
/// Residual connection: current + saved tensor <see cref="Name"/>. The shapes must be equal,
/// unless <see cref="Projection"/> routes the saved tensor through a 1×1 Conv2d (no bias, stride
/// to match) and a BatchNorm first, as torchvision's <c>downsample</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class AddAttribute : LayerAttribute
{
    /// <summary>Adds the tensor saved as <paramref name="name"/> to the current one.</summary>
    public AddAttribute(string name) => Name = name;

    /// <summary>The name given by an earlier <see cref="SaveAttribute"/>.</summary>
    public string Name { get; }

    /// <summary>
    /// Whether the saved tensor goes through a 1×1 Conv2d without bias (stride s with
    /// ⌊(H_saved − 1)/s⌋ + 1 = H, the same for W) and a BatchNorm before the add. State
    /// <c>{i}.proj.weight</c> <c>[C_out, C_saved, 1, 1]</c>, <c>{i}.bn.weight</c>, <c>{i}.bn.bias</c>,
    /// <c>{i}.bn.running_mean</c>, <c>{i}.bn.running_var</c>. Default false (identity shortcut).
    /// </summary>
    public bool Projection { get; set; }
}

/// <summary>
/// Joins channels <c>[current, saved]</c> (features, for rank-1 tensors), as
/// <c>torch.cat((current, saved), dim=1)</c>; the other dimensions must be equal.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class ConcatAttribute : LayerAttribute
{
    /// <summary>Appends the channels of the tensor saved as <paramref name="name"/> after the current ones.</summary>
    public ConcatAttribute(string name) => Name = name;

    /// <summary>The name given by an earlier <see cref="SaveAttribute"/>.</summary>
    public string Name { get; }
}
