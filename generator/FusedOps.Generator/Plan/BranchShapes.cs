using System.Collections.Generic;
using System.Linq;
using FusedOps.Generator.Diagnostics;
using FusedOps.Generator.Model;

namespace FusedOps.Generator.Plan;

/// <summary>
/// Names and shapes of <c>[Save]</c>, <c>[Add]</c> and <c>[Concat]</c> while the planner walks the
/// pipeline: which names are saved so far (and with what shape), and which are saved anywhere, so a
/// use can be told apart as unknown (FOPS0016) or as coming before its Save (FOPS0018).
/// </summary>
internal sealed class BranchShapes
{
    private readonly Dictionary<string, int> _savedAnywhere = new(System.StringComparer.Ordinal);
    private readonly Dictionary<string, (int Layer, Shape Shape)> _saved = new(System.StringComparer.Ordinal);

    public BranchShapes(List<Layer> layers)
    {
        foreach (SaveLayer save in layers.OfType<SaveLayer>())
        {
            if (!_savedAnywhere.ContainsKey(save.SavedName))
            {
                _savedAnywhere.Add(save.SavedName, save.Index);
            }
        }
    }

    /// <summary>The output shape of a branch layer, or null after reporting why there is none.</summary>
    public Shape? Infer(Layer layer, Shape x, List<DiagnosticInfo> diagnostics)
    {
        switch (layer)
        {
            case SaveLayer save:
                if (_saved.TryGetValue(save.SavedName, out var earlier))
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NameSavedTwice, layer.Location, layer.Index, save.SavedName, earlier.Layer));
                    return null;
                }

                _saved.Add(save.SavedName, (layer.Index, x));
                return x;
            case AddLayer add when Find(layer, add.SavedName, diagnostics) is { } saved:
                return add.Projection ? Projection(add, x, saved, diagnostics) : Same(layer, add.SavedName, x, saved, diagnostics);
            case ConcatLayer concat when Find(layer, concat.SavedName, diagnostics) is { } saved:
                if (saved.Rank != x.Rank || (x.Rank == 3 && (saved.H != x.H || saved.W != x.W)))
                {
                    return Mismatch(layer, concat.SavedName, x, saved, "Concat joins channels and needs the same rank and the same height and width", diagnostics);
                }

                return x.Rank == 1 ? Shape.Vector(x.C + saved.C) : Shape.Image(x.C + saved.C, x.H, x.W);
            default:
                return null;
        }
    }

    /// <summary>The smallest stride s with ⌊(H_saved − 1)/s⌋ + 1 = H and the same for W, as the reference's.</summary>
    public static int? ProjectionStride(Shape saved, Shape x)
    {
        for (int s = 1; s <= System.Math.Max(saved.H, saved.W); s++)
        {
            if (((saved.H - 1) / s) + 1 == x.H && ((saved.W - 1) / s) + 1 == x.W)
            {
                return s;
            }
        }

        return null;
    }

    private Shape? Find(Layer layer, string name, List<DiagnosticInfo> diagnostics)
    {
        if (_saved.TryGetValue(name, out var saved))
        {
            return saved.Shape;
        }

        if (_savedAnywhere.TryGetValue(name, out int later))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UseBeforeSave, layer.Location, layer.Index, layer.Name, name, later));
            return null;
        }

        string known = _savedAnywhere.Count == 0
            ? "the pipeline has no [Save(...)]; add [Save(\"" + name + "\")] where the tensor to reuse is"
            : "saved names: " + string.Join(", ", _savedAnywhere.Keys.OrderBy(k => k, System.StringComparer.Ordinal).Select(k => "\"" + k + "\""));
        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnknownBranchName, layer.Location, layer.Index, layer.Name, name, known));
        return null;
    }

    private static Shape? Same(Layer layer, string name, Shape x, Shape saved, List<DiagnosticInfo> diagnostics) =>
        saved == x ? x : Mismatch(layer, name, x, saved, "Add needs equal shapes; use Add(Projection = true) to map the saved tensor through a 1×1 Conv2d", diagnostics);

    private static Shape? Projection(AddLayer add, Shape x, Shape saved, List<DiagnosticInfo> diagnostics)
    {
        string? why = x.Rank != 3 || saved.Rank != 3 ? "the projection is a 1×1 Conv2d and needs both tensors of rank 3 (C, H, W)"
            : ProjectionStride(saved, x) is null ? "no stride s of the 1×1 projection gives ⌊(H_saved − 1)/s⌋ + 1 = H and ⌊(W_saved − 1)/s⌋ + 1 = W"
            : null;
        if (why is null)
        {
            return x;
        }

        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ProjectionImpossible, add.Location, add.Index, add.SavedName, saved, x, why));
        return null;
    }

    private static Shape? Mismatch(Layer layer, string name, Shape x, Shape saved, string why, List<DiagnosticInfo> diagnostics)
    {
        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BranchShapeMismatch, layer.Location, layer.Index, layer.Name, x, name, saved, why));
        return null;
    }
}
