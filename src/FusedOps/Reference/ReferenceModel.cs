namespace FusedOps.Reference;

/// <summary>Naive scalar interpreter of a layer list (placeholder until the reference lands).</summary>
public sealed class ReferenceModel
{
}
