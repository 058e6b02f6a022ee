import { IsInt, IsOptional, IsString, IsUrl, Max, MaxLength, Min } from 'class-validator';

export const PORTAL_SESSION_MIN_SECONDS = 60;
export const PORTAL_SESSION_MAX_SECONDS = 86_400;
export const PORTAL_SESSION_DEFAULT_SECONDS = 3600;

export class CreatePortalSessionDto {
  /** How long the link works, in seconds: 60 to 86400 (a day). Default 3600. */
  @IsOptional()
  @IsInt()
  @Min(PORTAL_SESSION_MIN_SECONDS)
  @Max(PORTAL_SESSION_MAX_SECONDS)
  expiresInSeconds?: number;

  /** Where the page's "back" link leads (the SaaS's own app): an http(s) URL. */
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  @IsUrl(
    { protocols: ['http', 'https'], require_protocol: true, require_tld: false, allow_underscores: true },
    { message: 'returnUrl must be an http:// or https:// URL' },
  )
  returnUrl?: string;
}
