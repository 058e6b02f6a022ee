import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'tally:public';

/** Open to anyone who can reach the port (health, metrics): the API key guard lets these through. */
export const Public = () => SetMetadata(IS_PUBLIC, true);
