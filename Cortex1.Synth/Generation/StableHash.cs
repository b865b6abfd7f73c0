namespace Cortex1.Synth.Generation;

/// <summary>
/// FNV-1a over a string: the same number in every process and on every machine (string.GetHashCode
/// and HashCode are randomised per process), so seeds and keys derived from it are reproducible.
/// </summary>
public static class StableHash
{
    // FNV-1a's 32-bit parameters, as the algorithm defines them.
    private const uint FnvOffsetBasis = 2166136261u;
    private const uint FnvPrime = 16777619u;

    public static int Of(string text)
    {
        unchecked
        {
            var h = FnvOffsetBasis;
            foreach (var ch in text) h = (h ^ ch) * FnvPrime;
            return (int)(h & 0x7fffffff);
        }
    }

    /// <summary>A short hex digest of a text (SHA-256, first 16 hex digits), for duplicate detection.</summary>
    public static string Digest(string text) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)))[..16];
}
