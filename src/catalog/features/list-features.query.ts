import { PageQuery } from '../../common/paging/page.query';

/** Features by key; no filters. */
export class ListFeaturesQuery extends PageQuery {}
