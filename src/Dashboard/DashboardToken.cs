using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Experiments.Dashboard;

/// <summary>
/// The token a dashboard bound beyond loopback asks for, as Jupyter does: printed once in the address, then carried by
/// an HttpOnly, same-site cookie, so the pages' own requests (JSON, images, the live feed) need nothing in their URLs.
/// </summary>
public static class DashboardToken
{
    public const string QueryName = "token";
    public const string CookieName = "experiments-dashboard-token";

    /// <summary>A new random token: 32 bytes as 64 hex digits.</summary>
    public static string Create() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    /// <summary>Whether a request may be served; a request that brings the right token in its query also gets the cookie.</summary>
    internal static bool Admit(HttpContext context, string token)
    {
        if (Matches(context.Request.Query[QueryName].ToString(), token))
        {
            context.Response.Cookies.Append(CookieName, token, new CookieOptions
            {
                HttpOnly = true, SameSite = SameSiteMode.Strict, Path = "/", IsEssential = true,
            });
            return true;
        }
        return Matches(context.Request.Cookies[CookieName], token);
    }

    // Constant-time, so the answer's timing says nothing about how much of a guess was right.
    private static bool Matches(string? given, string token) =>
        !string.IsNullOrEmpty(given) && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(token));
}
