import { PageQuery } from '../../../common/paging/page.query';

/** Plans by key; no filters. */
export class ListPlansQuery extends PageQuery {}
