import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { CATEGORY_SLUGS } from '../../domain/index.js';
import { ApiProblems } from '../../http/index.js';
import { CatalogService } from './catalog.service.js';
import { CatalogPage, CategoryList } from './catalog.views.js';
import { ABI_VERSIONS, ADVISORY_FILTERS, DEFAULT_SEARCH_LIMIT, HOSTS, MAX_SEARCH_LIMIT, SEARCH_SORTS, type SearchParams } from './search-query.js';

@ApiTags('catalog')
@Controller('api/v1')
export class CatalogController {
  constructor(private readonly catalog: CatalogService) {}

  @Get('plugins')
  @ApiOperation({
    summary: 'Search and browse plugins',
    description:
      'Lists plugins that have a ready, non-yanked version (others are reachable by name). `q` searches names, keywords and ' +
      'descriptions (words match as prefixes; a misspelt or partial name still matches by trigram similarity); an exact name ' +
      'ranks first, ties go to the more downloaded plugin. Filters combine with AND and apply to the latest version. ' +
      'Cursor pagination: pass nextCursor with the same q, filters and sort.',
  })
  @ApiQuery({ name: 'q', required: false, description: 'Full-text query, up to 200 characters.', example: 'jwt auth' })
  @ApiQuery({ name: 'category', required: false, enum: CATEGORY_SLUGS })
  @ApiQuery({ name: 'namespace', required: false, description: 'Only this publisher\'s plugins.' })
  @ApiQuery({ name: 'abi', required: false, enum: ABI_VERSIONS, description: 'Proxy-Wasm ABI version of the latest version.' })
  @ApiQuery({ name: 'host', required: false, enum: HOSTS, description: 'A host the latest version runs on.' })
  @ApiQuery({ name: 'kind', required: false, enum: ['module', 'component'] })
  @ApiQuery({ name: 'language', required: false, description: 'Source language from the producers section, e.g. rust, go, c.' })
  @ApiQuery({ name: 'signed', required: false, enum: ['true', 'false'] })
  @ApiQuery({
    name: 'advisory',
    required: false,
    enum: ADVISORY_FILTERS,
    description: 'none: the latest version has no advisory in force; any, or a rating: it has one at least that severe.',
  })
  @ApiQuery({ name: 'sort', required: false, enum: SEARCH_SORTS, description: 'Default: relevance with q, downloads without.' })
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: MAX_SEARCH_LIMIT, default: DEFAULT_SEARCH_LIMIT } })
  @ApiQuery({ name: 'cursor', required: false, description: 'nextCursor of the previous page.' })
  @ApiOkResponse({ type: CatalogPage })
  @ApiProblems(400)
  search(@Query() params: SearchParams): Promise<CatalogPage> {
    return this.catalog.search(params);
  }

  @Get('categories')
  @ApiOperation({ summary: 'The categories, with how many listed plugins each has and their share of the catalog' })
  @ApiOkResponse({ type: CategoryList })
  categories(): Promise<CategoryList> {
    return this.catalog.categories();
  }
}
